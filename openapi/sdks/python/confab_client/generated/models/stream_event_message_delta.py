from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.stream_event_message_delta_type import StreamEventMessageDeltaType

T = TypeVar("T", bound="StreamEventMessageDelta")


@_attrs_define
class StreamEventMessageDelta:
    """One server-sent event. Its SSE `event:` field is the `type`; its `id:` is the message's
    content length in bytes after the event (send it back as `Last-Event-ID` to resume). On a
    choice set's stream the id holds one position per answer instead (see
    `GET /v1/choice-sets/{id}/events`).

        Attributes:
            content (str): The next piece of its text, to append.
            message_id (UUID): The answer.
            offset (int): The answer's length in bytes after this delta (also the event's `id`).
            type_ (StreamEventMessageDeltaType):  Example: message.delta.
    """

    content: str
    message_id: UUID
    offset: int
    type_: StreamEventMessageDeltaType
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        content = self.content

        message_id = str(self.message_id)

        offset = self.offset

        type_ = self.type_.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "content": content,
                "message_id": message_id,
                "offset": offset,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        content = d.pop("content")

        message_id = UUID(d.pop("message_id"))

        offset = d.pop("offset")

        type_ = StreamEventMessageDeltaType(d.pop("type"))

        stream_event_message_delta = cls(
            content=content,
            message_id=message_id,
            offset=offset,
            type_=type_,
        )

        stream_event_message_delta.additional_properties = d
        return stream_event_message_delta

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
