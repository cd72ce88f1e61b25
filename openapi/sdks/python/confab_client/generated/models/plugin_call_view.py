from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PluginCallView")


@_attrs_define
class PluginCallView:
    """One plugin call, as recorded with the answer it ran for.

    Attributes:
        at (datetime.datetime): When the answer finished.
        conversation_id (UUID): That answer's conversation.
        elapsed_us (int): How long the call took, in microseconds.
        message_id (UUID): The answer it ran for.
        outcome (str): `unchanged`, `changed`, `rejected`, `failed_open` or `failed`.
        plugin (str): The plugin's name.
        version (str): The version that ran.
        detail (None | str | Unset): The plugin's reason for a rejection, or what went wrong; null otherwise.
    """

    at: datetime.datetime
    conversation_id: UUID
    elapsed_us: int
    message_id: UUID
    outcome: str
    plugin: str
    version: str
    detail: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        conversation_id = str(self.conversation_id)

        elapsed_us = self.elapsed_us

        message_id = str(self.message_id)

        outcome = self.outcome

        plugin = self.plugin

        version = self.version

        detail: None | str | Unset
        if isinstance(self.detail, Unset):
            detail = UNSET
        else:
            detail = self.detail

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "conversation_id": conversation_id,
                "elapsed_us": elapsed_us,
                "message_id": message_id,
                "outcome": outcome,
                "plugin": plugin,
                "version": version,
            }
        )
        if detail is not UNSET:
            field_dict["detail"] = detail

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        conversation_id = UUID(d.pop("conversation_id"))

        elapsed_us = d.pop("elapsed_us")

        message_id = UUID(d.pop("message_id"))

        outcome = d.pop("outcome")

        plugin = d.pop("plugin")

        version = d.pop("version")

        def _parse_detail(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        detail = _parse_detail(d.pop("detail", UNSET))

        plugin_call_view = cls(
            at=at,
            conversation_id=conversation_id,
            elapsed_us=elapsed_us,
            message_id=message_id,
            outcome=outcome,
            plugin=plugin,
            version=version,
            detail=detail,
        )

        plugin_call_view.additional_properties = d
        return plugin_call_view

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
