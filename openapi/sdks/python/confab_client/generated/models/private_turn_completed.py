from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="PrivateTurnCompleted")


@_attrs_define
class PrivateTurnCompleted:
    """`turn.completed`: the answer is complete.

    Attributes:
        input_tokens (int): Prompt tokens, as the provider reported them (or estimated).
        length (int): The answer's length in bytes.
        output_tokens (int): Answer tokens.
        turn_id (UUID): The answer.
    """

    input_tokens: int
    length: int
    output_tokens: int
    turn_id: UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        input_tokens = self.input_tokens

        length = self.length

        output_tokens = self.output_tokens

        turn_id = str(self.turn_id)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "input_tokens": input_tokens,
                "length": length,
                "output_tokens": output_tokens,
                "turn_id": turn_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        input_tokens = d.pop("input_tokens")

        length = d.pop("length")

        output_tokens = d.pop("output_tokens")

        turn_id = UUID(d.pop("turn_id"))

        private_turn_completed = cls(
            input_tokens=input_tokens,
            length=length,
            output_tokens=output_tokens,
            turn_id=turn_id,
        )

        private_turn_completed.additional_properties = d
        return private_turn_completed

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
