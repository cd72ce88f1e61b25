from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.private_stream_event_private_turn_created_type import (
    PrivateStreamEventPrivateTurnCreatedType,
)

T = TypeVar("T", bound="PrivateStreamEventPrivateTurnCreated")


@_attrs_define
class PrivateStreamEventPrivateTurnCreated:
    """One event of a private answer's stream. Its SSE `event:` is the `type`; its `id:` is the
    answer's length in bytes after the event (0 for `turn.created`, length + 1 for the final
    event): send the last one back as `Last-Event-ID` to resume.

        Attributes:
            dropped_messages (int): Older messages of the history left out to fit the model's window.
            model (str): The model as named (a catalogue model, or `preset/<id>`).
            turn_id (UUID): The answer's id: to resume its events and to cancel it.
            type_ (PrivateStreamEventPrivateTurnCreatedType):  Example: turn.created.
    """

    dropped_messages: int
    model: str
    turn_id: UUID
    type_: PrivateStreamEventPrivateTurnCreatedType
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        dropped_messages = self.dropped_messages

        model = self.model

        turn_id = str(self.turn_id)

        type_ = self.type_.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "dropped_messages": dropped_messages,
                "model": model,
                "turn_id": turn_id,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        dropped_messages = d.pop("dropped_messages")

        model = d.pop("model")

        turn_id = UUID(d.pop("turn_id"))

        type_ = PrivateStreamEventPrivateTurnCreatedType(d.pop("type"))

        private_stream_event_private_turn_created = cls(
            dropped_messages=dropped_messages,
            model=model,
            turn_id=turn_id,
            type_=type_,
        )

        private_stream_event_private_turn_created.additional_properties = d
        return private_stream_event_private_turn_created

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
