from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.message_view import MessageView


T = TypeVar("T", bound="MessageCancelled")


@_attrs_define
class MessageCancelled:
    """`message.cancelled`: stopped by the user; `message.content` has the text so far.

    Attributes:
        message (MessageView): One message of a conversation, with its lifecycle state.
    """

    message: MessageView
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        message = self.message.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "message": message,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.message_view import MessageView

        d = dict(src_dict)
        message = MessageView.from_dict(d.pop("message"))

        message_cancelled = cls(
            message=message,
        )

        message_cancelled.additional_properties = d
        return message_cancelled

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
