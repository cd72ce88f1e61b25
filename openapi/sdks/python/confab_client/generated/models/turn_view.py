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
        choice_set_id (None | Unset | UUID): With `choices`: the choice set (null otherwise).
        choices (list[MessageView] | None | Unset): With `choices`: every answer in choice order, `assistant_message`
            first (null otherwise);
            attach to all of them with `GET /v1/choice-sets/{id}/events`.
        user_message (MessageView | None | Unset): The user message this turn created (none for regenerate and
            continue).
    """

    assistant_message: MessageView
    conversation_id: UUID
    replayed: bool
    choice_set_id: None | Unset | UUID = UNSET
    choices: list[MessageView] | None | Unset = UNSET
    user_message: MessageView | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.message_view import MessageView

        assistant_message = self.assistant_message.to_dict()

        conversation_id = str(self.conversation_id)

        replayed = self.replayed

        choice_set_id: None | str | Unset
        if isinstance(self.choice_set_id, Unset):
            choice_set_id = UNSET
        elif isinstance(self.choice_set_id, UUID):
            choice_set_id = str(self.choice_set_id)
        else:
            choice_set_id = self.choice_set_id

        choices: list[dict[str, Any]] | None | Unset
        if isinstance(self.choices, Unset):
            choices = UNSET
        elif isinstance(self.choices, list):
            choices = []
            for choices_type_0_item_data in self.choices:
                choices_type_0_item = choices_type_0_item_data.to_dict()
                choices.append(choices_type_0_item)

        else:
            choices = self.choices

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
        if choice_set_id is not UNSET:
            field_dict["choice_set_id"] = choice_set_id
        if choices is not UNSET:
            field_dict["choices"] = choices
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

        def _parse_choice_set_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                choice_set_id_type_0 = UUID(data)

                return choice_set_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        choice_set_id = _parse_choice_set_id(d.pop("choice_set_id", UNSET))

        def _parse_choices(data: object) -> list[MessageView] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                choices_type_0 = []
                _choices_type_0 = data
                for choices_type_0_item_data in _choices_type_0:
                    choices_type_0_item = MessageView.from_dict(
                        choices_type_0_item_data
                    )

                    choices_type_0.append(choices_type_0_item)

                return choices_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[MessageView] | None | Unset, data)

        choices = _parse_choices(d.pop("choices", UNSET))

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
            choice_set_id=choice_set_id,
            choices=choices,
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
