from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PutModel")


@_attrs_define
class PutModel:
    """A model the tenant adds to its catalogue (or changes).

    Attributes:
        context_window (int): The most tokens of prompt and answer together.
        input_price_per_million (float): Price of a million prompt tokens (for usage reports).
        max_output_tokens (int): The most tokens of one answer.
        output_price_per_million (float): Price of a million answer tokens (for usage reports).
        provider (str): A provider configured by the operator (`GET /v1/providers`).
        display_name (None | str | Unset): Its name for people; the id when absent.
        upstream_model (None | str | Unset): The provider's model name (Azure: the deployment); defaults to the id.
        vision (bool | None | Unset): The model takes images (false when absent): pictures may be attached to messages
            sent
            to it; other models refuse them.
    """

    context_window: int
    input_price_per_million: float
    max_output_tokens: int
    output_price_per_million: float
    provider: str
    display_name: None | str | Unset = UNSET
    upstream_model: None | str | Unset = UNSET
    vision: bool | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        context_window = self.context_window

        input_price_per_million = self.input_price_per_million

        max_output_tokens = self.max_output_tokens

        output_price_per_million = self.output_price_per_million

        provider = self.provider

        display_name: None | str | Unset
        if isinstance(self.display_name, Unset):
            display_name = UNSET
        else:
            display_name = self.display_name

        upstream_model: None | str | Unset
        if isinstance(self.upstream_model, Unset):
            upstream_model = UNSET
        else:
            upstream_model = self.upstream_model

        vision: bool | None | Unset
        if isinstance(self.vision, Unset):
            vision = UNSET
        else:
            vision = self.vision

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "context_window": context_window,
                "input_price_per_million": input_price_per_million,
                "max_output_tokens": max_output_tokens,
                "output_price_per_million": output_price_per_million,
                "provider": provider,
            }
        )
        if display_name is not UNSET:
            field_dict["display_name"] = display_name
        if upstream_model is not UNSET:
            field_dict["upstream_model"] = upstream_model
        if vision is not UNSET:
            field_dict["vision"] = vision

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        context_window = d.pop("context_window")

        input_price_per_million = d.pop("input_price_per_million")

        max_output_tokens = d.pop("max_output_tokens")

        output_price_per_million = d.pop("output_price_per_million")

        provider = d.pop("provider")

        def _parse_display_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        display_name = _parse_display_name(d.pop("display_name", UNSET))

        def _parse_upstream_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        upstream_model = _parse_upstream_model(d.pop("upstream_model", UNSET))

        def _parse_vision(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        vision = _parse_vision(d.pop("vision", UNSET))

        put_model = cls(
            context_window=context_window,
            input_price_per_million=input_price_per_million,
            max_output_tokens=max_output_tokens,
            output_price_per_million=output_price_per_million,
            provider=provider,
            display_name=display_name,
            upstream_model=upstream_model,
            vision=vision,
        )

        put_model.additional_properties = d
        return put_model

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
