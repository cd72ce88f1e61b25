from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ChoiceSetView")


@_attrs_define
class ChoiceSetView:
    """Several answers to one message, generated at once (a send or regenerate with `choices`).

    Attributes:
        conversation_id (UUID): The conversation.
        created_at (datetime.datetime): When the answers were asked for.
        id (UUID): The choice set: reattach with `GET /v1/choice-sets/{id}/events`, pick with
            `POST /v1/choice-sets/{id}/pick`.
        message_ids (list[UUID]): The answers' ids, in choice order (the order of the stream's `Last-Event-ID`
            positions).
        parent_id (UUID): The user message the answers answer.
        picked_at (datetime.datetime | None | Unset): When the user picked it.
        picked_message_id (None | Unset | UUID): The answer the user picked, if they did.
    """

    conversation_id: UUID
    created_at: datetime.datetime
    id: UUID
    message_ids: list[UUID]
    parent_id: UUID
    picked_at: datetime.datetime | None | Unset = UNSET
    picked_message_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversation_id = str(self.conversation_id)

        created_at = self.created_at.isoformat()

        id = str(self.id)

        message_ids = []
        for message_ids_item_data in self.message_ids:
            message_ids_item = str(message_ids_item_data)
            message_ids.append(message_ids_item)

        parent_id = str(self.parent_id)

        picked_at: None | str | Unset
        if isinstance(self.picked_at, Unset):
            picked_at = UNSET
        elif isinstance(self.picked_at, datetime.datetime):
            picked_at = self.picked_at.isoformat()
        else:
            picked_at = self.picked_at

        picked_message_id: None | str | Unset
        if isinstance(self.picked_message_id, Unset):
            picked_message_id = UNSET
        elif isinstance(self.picked_message_id, UUID):
            picked_message_id = str(self.picked_message_id)
        else:
            picked_message_id = self.picked_message_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation_id": conversation_id,
                "created_at": created_at,
                "id": id,
                "message_ids": message_ids,
                "parent_id": parent_id,
            }
        )
        if picked_at is not UNSET:
            field_dict["picked_at"] = picked_at
        if picked_message_id is not UNSET:
            field_dict["picked_message_id"] = picked_message_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        conversation_id = UUID(d.pop("conversation_id"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        message_ids = []
        _message_ids = d.pop("message_ids")
        for message_ids_item_data in _message_ids:
            message_ids_item = UUID(message_ids_item_data)

            message_ids.append(message_ids_item)

        parent_id = UUID(d.pop("parent_id"))

        def _parse_picked_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                picked_at_type_0 = datetime.datetime.fromisoformat(data)

                return picked_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        picked_at = _parse_picked_at(d.pop("picked_at", UNSET))

        def _parse_picked_message_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                picked_message_id_type_0 = UUID(data)

                return picked_message_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        picked_message_id = _parse_picked_message_id(d.pop("picked_message_id", UNSET))

        choice_set_view = cls(
            conversation_id=conversation_id,
            created_at=created_at,
            id=id,
            message_ids=message_ids,
            parent_id=parent_id,
            picked_at=picked_at,
            picked_message_id=picked_message_id,
        )

        choice_set_view.additional_properties = d
        return choice_set_view

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
