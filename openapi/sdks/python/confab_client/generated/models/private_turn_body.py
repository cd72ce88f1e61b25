from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.private_message_body import PrivateMessageBody


T = TypeVar("T", bound="PrivateTurnBody")


@_attrs_define
class PrivateTurnBody:
    """A private turn: the chat's whole history, oldest first. When the last message is the
    assistant's (a partial answer), the new answer continues it: append its text to that message.

        Attributes:
            messages (list[PrivateMessageBody]): 1 to 500 messages. The oldest are left out when they do not fit the model's
                window
                (`turn.created` says how many).
            model (None | str | Unset): A model of the catalogue; the tenant's default when neither it nor `preset_id` is
                given.
            preset_id (None | Unset | UUID): A preset to answer with (its model, system prompt and settings).
    """

    messages: list[PrivateMessageBody]
    model: None | str | Unset = UNSET
    preset_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        messages = []
        for messages_item_data in self.messages:
            messages_item = messages_item_data.to_dict()
            messages.append(messages_item)

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        preset_id: None | str | Unset
        if isinstance(self.preset_id, Unset):
            preset_id = UNSET
        elif isinstance(self.preset_id, UUID):
            preset_id = str(self.preset_id)
        else:
            preset_id = self.preset_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "messages": messages,
            }
        )
        if model is not UNSET:
            field_dict["model"] = model
        if preset_id is not UNSET:
            field_dict["preset_id"] = preset_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.private_message_body import PrivateMessageBody

        d = dict(src_dict)
        messages = []
        _messages = d.pop("messages")
        for messages_item_data in _messages:
            messages_item = PrivateMessageBody.from_dict(messages_item_data)

            messages.append(messages_item)

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

        def _parse_preset_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                preset_id_type_0 = UUID(data)

                return preset_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        preset_id = _parse_preset_id(d.pop("preset_id", UNSET))

        private_turn_body = cls(
            messages=messages,
            model=model,
            preset_id=preset_id,
        )

        private_turn_body.additional_properties = d
        return private_turn_body

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
