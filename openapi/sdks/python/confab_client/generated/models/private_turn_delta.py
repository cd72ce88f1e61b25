from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="PrivateTurnDelta")


@_attrs_define
class PrivateTurnDelta:
    """`turn.delta`: the next piece of the answer.

    Attributes:
        content (str): The next piece of text, to append.
        offset (int): The answer's length in bytes (UTF-8) after this delta; also the event's `id`.
        turn_id (UUID): The answer.
    """

    content: str
    offset: int
    turn_id: UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        content = self.content

        offset = self.offset

        turn_id = str(self.turn_id)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "content": content,
                "offset": offset,
                "turn_id": turn_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        content = d.pop("content")

        offset = d.pop("offset")

        turn_id = UUID(d.pop("turn_id"))

        private_turn_delta = cls(
            content=content,
            offset=offset,
            turn_id=turn_id,
        )

        private_turn_delta.additional_properties = d
        return private_turn_delta

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
