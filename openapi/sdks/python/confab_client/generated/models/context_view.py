from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ContextView")


@_attrs_define
class ContextView:
    """What was sent upstream for an answer: which messages fitted the model's context window.

    Attributes:
        dropped_message_ids (list[UUID]): Older messages left out to fit the model's context window.
        prompt_tokens (int): The prompt's estimated size in tokens.
        sent_message_ids (list[UUID]): The messages sent upstream for this answer, oldest first.
    """

    dropped_message_ids: list[UUID]
    prompt_tokens: int
    sent_message_ids: list[UUID]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        dropped_message_ids = []
        for dropped_message_ids_item_data in self.dropped_message_ids:
            dropped_message_ids_item = str(dropped_message_ids_item_data)
            dropped_message_ids.append(dropped_message_ids_item)

        prompt_tokens = self.prompt_tokens

        sent_message_ids = []
        for sent_message_ids_item_data in self.sent_message_ids:
            sent_message_ids_item = str(sent_message_ids_item_data)
            sent_message_ids.append(sent_message_ids_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "dropped_message_ids": dropped_message_ids,
                "prompt_tokens": prompt_tokens,
                "sent_message_ids": sent_message_ids,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        dropped_message_ids = []
        _dropped_message_ids = d.pop("dropped_message_ids")
        for dropped_message_ids_item_data in _dropped_message_ids:
            dropped_message_ids_item = UUID(dropped_message_ids_item_data)

            dropped_message_ids.append(dropped_message_ids_item)

        prompt_tokens = d.pop("prompt_tokens")

        sent_message_ids = []
        _sent_message_ids = d.pop("sent_message_ids")
        for sent_message_ids_item_data in _sent_message_ids:
            sent_message_ids_item = UUID(sent_message_ids_item_data)

            sent_message_ids.append(sent_message_ids_item)

        context_view = cls(
            dropped_message_ids=dropped_message_ids,
            prompt_tokens=prompt_tokens,
            sent_message_ids=sent_message_ids,
        )

        context_view.additional_properties = d
        return context_view

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
