from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.model_source import ModelSource

T = TypeVar("T", bound="ModelView")


@_attrs_define
class ModelView:
    """
    Attributes:
        id (str):
        display_name (str):
        provider (str):
        is_demo (bool): True for the built-in demo model, which streams a fixed text.
        source (ModelSource):
        context_window (int):
        max_output_tokens (int):
        input_price_per_million (float):
        output_price_per_million (float):
    """

    id: str
    display_name: str
    provider: str
    is_demo: bool
    source: ModelSource
    context_window: int
    max_output_tokens: int
    input_price_per_million: float
    output_price_per_million: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        display_name = self.display_name

        provider = self.provider

        is_demo = self.is_demo

        source = self.source.value

        context_window = self.context_window

        max_output_tokens = self.max_output_tokens

        input_price_per_million = self.input_price_per_million

        output_price_per_million = self.output_price_per_million

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "display_name": display_name,
                "provider": provider,
                "is_demo": is_demo,
                "source": source,
                "context_window": context_window,
                "max_output_tokens": max_output_tokens,
                "input_price_per_million": input_price_per_million,
                "output_price_per_million": output_price_per_million,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        display_name = d.pop("display_name")

        provider = d.pop("provider")

        is_demo = d.pop("is_demo")

        source = ModelSource(d.pop("source"))

        context_window = d.pop("context_window")

        max_output_tokens = d.pop("max_output_tokens")

        input_price_per_million = d.pop("input_price_per_million")

        output_price_per_million = d.pop("output_price_per_million")

        model_view = cls(
            id=id,
            display_name=display_name,
            provider=provider,
            is_demo=is_demo,
            source=source,
            context_window=context_window,
            max_output_tokens=max_output_tokens,
            input_price_per_million=input_price_per_million,
            output_price_per_million=output_price_per_million,
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
