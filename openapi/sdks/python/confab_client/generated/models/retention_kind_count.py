from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="RetentionKindCount")


@_attrs_define
class RetentionKindCount:
    """How many rows of one kind the purge would delete now, and the oldest of them.

    Attributes:
        count (int): Rows due.
        kind (str): `conversations`, `messages`, `deleted_conversations`, `deleted_messages`, `files`
            (uploads no kept conversation carries), `unattached_files` (uploads never sent, after
            `files.unattached_days`), `shares`, `share_views`, `usage_events` or `audit_entries`.
        oldest (datetime.datetime | None | Unset): The oldest due row's date (last activity, deletion, creation, view or
            turn).
    """

    count: int
    kind: str
    oldest: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        count = self.count

        kind = self.kind

        oldest: None | str | Unset
        if isinstance(self.oldest, Unset):
            oldest = UNSET
        elif isinstance(self.oldest, datetime.datetime):
            oldest = self.oldest.isoformat()
        else:
            oldest = self.oldest

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "count": count,
                "kind": kind,
            }
        )
        if oldest is not UNSET:
            field_dict["oldest"] = oldest

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        count = d.pop("count")

        kind = d.pop("kind")

        def _parse_oldest(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                oldest_type_0 = datetime.datetime.fromisoformat(data)

                return oldest_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        oldest = _parse_oldest(d.pop("oldest", UNSET))

        retention_kind_count = cls(
            count=count,
            kind=kind,
            oldest=oldest,
        )

        retention_kind_count.additional_properties = d
        return retention_kind_count

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
