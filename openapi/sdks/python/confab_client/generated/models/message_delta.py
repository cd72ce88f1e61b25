from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="MessageDelta")


@_attrs_define
class MessageDelta:
    """`message.delta`: the next piece of the answer.

    Attributes:
        content (str): The next piece of its text, to append.
        message_id (UUID): The answer.
        offset (int): The answer's length in bytes after this delta (also the event's `id`).
    """

    content: str
    message_id: UUID
    offset: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        content = self.content

        message_id = str(self.message_id)

        offset = self.offset

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "content": content,
                "message_id": message_id,
                "offset": offset,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        content = d.pop("content")

        message_id = UUID(d.pop("message_id"))

        offset = d.pop("offset")

        message_delta = cls(
            content=content,
            message_id=message_id,
            offset=offset,
        )

        message_delta.additional_properties = d
        return message_delta

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
