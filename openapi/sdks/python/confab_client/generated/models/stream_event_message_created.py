from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.stream_event_message_created_type import StreamEventMessageCreatedType
from ..types import UNSET, Unset

T = TypeVar("T", bound="StreamEventMessageCreated")


@_attrs_define
class StreamEventMessageCreated:
    """One server-sent event. Its SSE `event:` field is the `type`; its `id:` is the message's
    content length in bytes after the event (send it back as `Last-Event-ID` to resume). On a
    choice set's stream the id holds one position per answer instead (see
    `GET /v1/choice-sets/{id}/events`).

        Attributes:
            assistant_message_id (UUID): The answer being written: the id to attach to and to cancel.
            conversation_id (UUID): The conversation.
            type_ (StreamEventMessageCreatedType):  Example: message.created.
            choice (int | None | Unset): On a choice set's stream: this answer's index in choice order, from 0 (null
                otherwise).
            choice_set_id (None | Unset | UUID): On a choice set's stream: the set (null on a single answer's stream).
            model (None | str | Unset): The model writing the answer.
            user_message_id (None | Unset | UUID): The user message this turn added; null for turns without one (regenerate,
                continue).
    """

    assistant_message_id: UUID
    conversation_id: UUID
    type_: StreamEventMessageCreatedType
    choice: int | None | Unset = UNSET
    choice_set_id: None | Unset | UUID = UNSET
    model: None | str | Unset = UNSET
    user_message_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        assistant_message_id = str(self.assistant_message_id)

        conversation_id = str(self.conversation_id)

        type_ = self.type_.value

        choice: int | None | Unset
        if isinstance(self.choice, Unset):
            choice = UNSET
        else:
            choice = self.choice

        choice_set_id: None | str | Unset
        if isinstance(self.choice_set_id, Unset):
            choice_set_id = UNSET
        elif isinstance(self.choice_set_id, UUID):
            choice_set_id = str(self.choice_set_id)
        else:
            choice_set_id = self.choice_set_id

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        user_message_id: None | str | Unset
        if isinstance(self.user_message_id, Unset):
            user_message_id = UNSET
        elif isinstance(self.user_message_id, UUID):
            user_message_id = str(self.user_message_id)
        else:
            user_message_id = self.user_message_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "assistant_message_id": assistant_message_id,
                "conversation_id": conversation_id,
                "type": type_,
            }
        )
        if choice is not UNSET:
            field_dict["choice"] = choice
        if choice_set_id is not UNSET:
            field_dict["choice_set_id"] = choice_set_id
        if model is not UNSET:
            field_dict["model"] = model
        if user_message_id is not UNSET:
            field_dict["user_message_id"] = user_message_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        assistant_message_id = UUID(d.pop("assistant_message_id"))

        conversation_id = UUID(d.pop("conversation_id"))

        type_ = StreamEventMessageCreatedType(d.pop("type"))

        def _parse_choice(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        choice = _parse_choice(d.pop("choice", UNSET))

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

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

        def _parse_user_message_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                user_message_id_type_0 = UUID(data)

                return user_message_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        user_message_id = _parse_user_message_id(d.pop("user_message_id", UNSET))

        stream_event_message_created = cls(
            assistant_message_id=assistant_message_id,
            conversation_id=conversation_id,
            type_=type_,
            choice=choice,
            choice_set_id=choice_set_id,
            model=model,
            user_message_id=user_message_id,
        )

        stream_event_message_created.additional_properties = d
        return stream_event_message_created

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
