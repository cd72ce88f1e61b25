from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.stream_event_message_completed_type import StreamEventMessageCompletedType

if TYPE_CHECKING:
    from ..models.message_view import MessageView


T = TypeVar("T", bound="StreamEventMessageCompleted")


@_attrs_define
class StreamEventMessageCompleted:
    """One server-sent event. Its SSE `event:` field is the `type`; its `id:` is the message's
    content length in bytes after the event (send it back as `Last-Event-ID` to resume). On a
    choice set's stream the id holds one position per answer instead (see
    `GET /v1/choice-sets/{id}/events`).

        Attributes:
            message (MessageView): One message of a conversation, with its lifecycle state.
            type_ (StreamEventMessageCompletedType):  Example: message.completed.
    """

    message: MessageView
    type_: StreamEventMessageCompletedType
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        message = self.message.to_dict()

        type_ = self.type_.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "message": message,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.message_view import MessageView

        d = dict(src_dict)
        message = MessageView.from_dict(d.pop("message"))

        type_ = StreamEventMessageCompletedType(d.pop("type"))

        stream_event_message_completed = cls(
            message=message,
            type_=type_,
        )

        stream_event_message_completed.additional_properties = d
        return stream_event_message_completed

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
