from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.snapshot_message_view import SnapshotMessageView


T = TypeVar("T", bound="SnapshotView")


@_attrs_define
class SnapshotView:
    """A shared branch as it was when shared. Holds nothing outside the copy.

    Attributes:
        messages (list[SnapshotMessageView]): The shared branch, root to leaf.
        shared_at (datetime.datetime): When it was shared.
        title (str): The snapshot's title.
        expires_at (datetime.datetime | None | Unset): When it stops being readable; null for never.
        shared_by (None | str | Unset): The sharer's display name; for signed-in readers only.
    """

    messages: list[SnapshotMessageView]
    shared_at: datetime.datetime
    title: str
    expires_at: datetime.datetime | None | Unset = UNSET
    shared_by: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        messages = []
        for messages_item_data in self.messages:
            messages_item = messages_item_data.to_dict()
            messages.append(messages_item)

        shared_at = self.shared_at.isoformat()

        title = self.title

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        elif isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        shared_by: None | str | Unset
        if isinstance(self.shared_by, Unset):
            shared_by = UNSET
        else:
            shared_by = self.shared_by

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "messages": messages,
                "shared_at": shared_at,
                "title": title,
            }
        )
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if shared_by is not UNSET:
            field_dict["shared_by"] = shared_by

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.snapshot_message_view import SnapshotMessageView

        d = dict(src_dict)
        messages = []
        _messages = d.pop("messages")
        for messages_item_data in _messages:
            messages_item = SnapshotMessageView.from_dict(messages_item_data)

            messages.append(messages_item)

        shared_at = datetime.datetime.fromisoformat(d.pop("shared_at"))

        title = d.pop("title")

        def _parse_expires_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        expires_at = _parse_expires_at(d.pop("expires_at", UNSET))

        def _parse_shared_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        shared_by = _parse_shared_by(d.pop("shared_by", UNSET))

        snapshot_view = cls(
            messages=messages,
            shared_at=shared_at,
            title=title,
            expires_at=expires_at,
            shared_by=shared_by,
        )

        snapshot_view.additional_properties = d
        return snapshot_view

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
