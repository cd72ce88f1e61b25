from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PutModel")


@_attrs_define
class PutModel:
    """
    Attributes:
        provider (str): A provider configured by the operator (`GET /v1/providers`).
        context_window (int):
        max_output_tokens (int):
        input_price_per_million (float):
        output_price_per_million (float):
        upstream_model (None | str | Unset): The provider's model name (Azure: the deployment); defaults to the id.
        display_name (None | str | Unset):
    """

    provider: str
    context_window: int
    max_output_tokens: int
    input_price_per_million: float
    output_price_per_million: float
    upstream_model: None | str | Unset = UNSET
    display_name: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        provider = self.provider

        context_window = self.context_window

        max_output_tokens = self.max_output_tokens

        input_price_per_million = self.input_price_per_million

        output_price_per_million = self.output_price_per_million

        upstream_model: None | str | Unset
        if isinstance(self.upstream_model, Unset):
            upstream_model = UNSET
        else:
            upstream_model = self.upstream_model

        display_name: None | str | Unset
        if isinstance(self.display_name, Unset):
            display_name = UNSET
        else:
            display_name = self.display_name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "provider": provider,
                "context_window": context_window,
                "max_output_tokens": max_output_tokens,
                "input_price_per_million": input_price_per_million,
                "output_price_per_million": output_price_per_million,
            }
        )
        if upstream_model is not UNSET:
            field_dict["upstream_model"] = upstream_model
        if display_name is not UNSET:
            field_dict["display_name"] = display_name

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        provider = d.pop("provider")

        context_window = d.pop("context_window")

        max_output_tokens = d.pop("max_output_tokens")

        input_price_per_million = d.pop("input_price_per_million")

        output_price_per_million = d.pop("output_price_per_million")

        def _parse_upstream_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        upstream_model = _parse_upstream_model(d.pop("upstream_model", UNSET))

        def _parse_display_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        display_name = _parse_display_name(d.pop("display_name", UNSET))

        put_model = cls(
            provider=provider,
            context_window=context_window,
            max_output_tokens=max_output_tokens,
            input_price_per_million=input_price_per_million,
            output_price_per_million=output_price_per_million,
            upstream_model=upstream_model,
            display_name=display_name,
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
