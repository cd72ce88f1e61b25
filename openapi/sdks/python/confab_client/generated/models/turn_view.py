from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.message_view import MessageView


T = TypeVar("T", bound="TurnView")


@_attrs_define
class TurnView:
    """A turn that was accepted: the user message (if any) and the answer being written.

    Attributes:
        assistant_message (MessageView): One message of a conversation, with its lifecycle state.
        conversation_id (UUID): The conversation.
        replayed (bool): True when this answers a retry with an `Idempotency-Key` already used: nothing new was
            created.
        user_message (MessageView | None | Unset): The user message this turn created (none for regenerate and
            continue).
    """

    assistant_message: MessageView
    conversation_id: UUID
    replayed: bool
    user_message: MessageView | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.message_view import MessageView

        assistant_message = self.assistant_message.to_dict()

        conversation_id = str(self.conversation_id)

        replayed = self.replayed

        user_message: dict[str, Any] | None | Unset
        if isinstance(self.user_message, Unset):
            user_message = UNSET
        elif isinstance(self.user_message, MessageView):
            user_message = self.user_message.to_dict()
        else:
            user_message = self.user_message

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "assistant_message": assistant_message,
                "conversation_id": conversation_id,
                "replayed": replayed,
            }
        )
        if user_message is not UNSET:
            field_dict["user_message"] = user_message

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.message_view import MessageView

        d = dict(src_dict)
        assistant_message = MessageView.from_dict(d.pop("assistant_message"))

        conversation_id = UUID(d.pop("conversation_id"))

        replayed = d.pop("replayed")

        def _parse_user_message(data: object) -> MessageView | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                user_message_type_1 = MessageView.from_dict(data)

                return user_message_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MessageView | None | Unset, data)

        user_message = _parse_user_message(d.pop("user_message", UNSET))

        turn_view = cls(
            assistant_message=assistant_message,
            conversation_id=conversation_id,
            replayed=replayed,
            user_message=user_message,
        )

        turn_view.additional_properties = d
        return turn_view

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
