from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.model_source import ModelSource

T = TypeVar("T", bound="ModelView")


@_attrs_define
class ModelView:
    """A model of the catalogue.

    Attributes:
        context_window (int): The most tokens of prompt and answer together.
        display_name (str): Its name for people.
        id (str): The id to send as `model`.
        input_price_per_million (float): Price of a million prompt tokens, in the installation's currency (0 when
            unknown).
        is_demo (bool): True for the built-in demo model, which streams a fixed text.
        max_output_tokens (int): The most tokens of one answer.
        output_price_per_million (float): Price of a million answer tokens, in the installation's currency (0 when
            unknown).
        provider (str): The provider that serves it.
        source (ModelSource): Where a model comes from.
        vision (bool): The model takes images: pictures may be attached to messages sent to it.
    """

    context_window: int
    display_name: str
    id: str
    input_price_per_million: float
    is_demo: bool
    max_output_tokens: int
    output_price_per_million: float
    provider: str
    source: ModelSource
    vision: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        context_window = self.context_window

        display_name = self.display_name

        id = self.id

        input_price_per_million = self.input_price_per_million

        is_demo = self.is_demo

        max_output_tokens = self.max_output_tokens

        output_price_per_million = self.output_price_per_million

        provider = self.provider

        source = self.source.value

        vision = self.vision

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "context_window": context_window,
                "display_name": display_name,
                "id": id,
                "input_price_per_million": input_price_per_million,
                "is_demo": is_demo,
                "max_output_tokens": max_output_tokens,
                "output_price_per_million": output_price_per_million,
                "provider": provider,
                "source": source,
                "vision": vision,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        context_window = d.pop("context_window")

        display_name = d.pop("display_name")

        id = d.pop("id")

        input_price_per_million = d.pop("input_price_per_million")

        is_demo = d.pop("is_demo")

        max_output_tokens = d.pop("max_output_tokens")

        output_price_per_million = d.pop("output_price_per_million")

        provider = d.pop("provider")

        source = ModelSource(d.pop("source"))

        vision = d.pop("vision")

        model_view = cls(
            context_window=context_window,
            display_name=display_name,
            id=id,
            input_price_per_million=input_price_per_million,
            is_demo=is_demo,
            max_output_tokens=max_output_tokens,
            output_price_per_million=output_price_per_million,
            provider=provider,
            source=source,
            vision=vision,
        )

        model_view.additional_properties = d
        return model_view

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
