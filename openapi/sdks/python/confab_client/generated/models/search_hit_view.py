from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.message_role import MessageRole
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.snippet_segment import SnippetSegment


T = TypeVar("T", bound="SearchHitView")


@_attrs_define
class SearchHitView:
    """One match: a conversation's title (`message_id` and `role` are null) or one of its messages.

    Attributes:
        conversation_archived (bool): Archived conversations are searched too; this flags them.
        conversation_id (UUID): The conversation that matched.
        conversation_title (str): Its title.
        created_at (datetime.datetime): When the message was written; for a title, when the conversation was started.
        snippet (list[SnippetSegment]): The matching text around the first match (about 200 characters), `…` where it
            was cut.
        message_id (None | Unset | UUID): The message that matched; null when the title matched.
        role (MessageRole | None | Unset): The message's author; null when the title matched.
    """

    conversation_archived: bool
    conversation_id: UUID
    conversation_title: str
    created_at: datetime.datetime
    snippet: list[SnippetSegment]
    message_id: None | Unset | UUID = UNSET
    role: MessageRole | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversation_archived = self.conversation_archived

        conversation_id = str(self.conversation_id)

        conversation_title = self.conversation_title

        created_at = self.created_at.isoformat()

        snippet = []
        for snippet_item_data in self.snippet:
            snippet_item = snippet_item_data.to_dict()
            snippet.append(snippet_item)

        message_id: None | str | Unset
        if isinstance(self.message_id, Unset):
            message_id = UNSET
        elif isinstance(self.message_id, UUID):
            message_id = str(self.message_id)
        else:
            message_id = self.message_id

        role: None | str | Unset
        if isinstance(self.role, Unset):
            role = UNSET
        elif isinstance(self.role, MessageRole):
            role = self.role.value
        else:
            role = self.role

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation_archived": conversation_archived,
                "conversation_id": conversation_id,
                "conversation_title": conversation_title,
                "created_at": created_at,
                "snippet": snippet,
            }
        )
        if message_id is not UNSET:
            field_dict["message_id"] = message_id
        if role is not UNSET:
            field_dict["role"] = role

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.snippet_segment import SnippetSegment

        d = dict(src_dict)
        conversation_archived = d.pop("conversation_archived")

        conversation_id = UUID(d.pop("conversation_id"))

        conversation_title = d.pop("conversation_title")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        snippet = []
        _snippet = d.pop("snippet")
        for snippet_item_data in _snippet:
            snippet_item = SnippetSegment.from_dict(snippet_item_data)

            snippet.append(snippet_item)

        def _parse_message_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                message_id_type_0 = UUID(data)

                return message_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        message_id = _parse_message_id(d.pop("message_id", UNSET))

        def _parse_role(data: object) -> MessageRole | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                role_type_1 = MessageRole(data)

                return role_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MessageRole | None | Unset, data)

        role = _parse_role(d.pop("role", UNSET))

        search_hit_view = cls(
            conversation_archived=conversation_archived,
            conversation_id=conversation_id,
            conversation_title=conversation_title,
            created_at=created_at,
            snippet=snippet,
            message_id=message_id,
            role=role,
        )

        search_hit_view.additional_properties = d
        return search_hit_view

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
