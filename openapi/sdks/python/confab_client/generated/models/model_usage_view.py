from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ModelUsageView")


@_attrs_define
class ModelUsageView:
    """A model's share of the tenant's usage.

    Attributes:
        cost (float): Cost in the catalogue's currency.
        input_tokens (int): Prompt tokens.
        model (str): The model's id in the catalogue.
        output_tokens (int): Answer tokens.
        turns (int): Finished turns.
    """

    cost: float
    input_tokens: int
    model: str
    output_tokens: int
    turns: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cost = self.cost

        input_tokens = self.input_tokens

        model = self.model

        output_tokens = self.output_tokens

        turns = self.turns

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cost": cost,
                "input_tokens": input_tokens,
                "model": model,
                "output_tokens": output_tokens,
                "turns": turns,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        cost = d.pop("cost")

        input_tokens = d.pop("input_tokens")

        model = d.pop("model")

        output_tokens = d.pop("output_tokens")

        turns = d.pop("turns")

        model_usage_view = cls(
            cost=cost,
            input_tokens=input_tokens,
            model=model,
            output_tokens=output_tokens,
            turns=turns,
        )

        model_usage_view.additional_properties = d
        return model_usage_view

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
