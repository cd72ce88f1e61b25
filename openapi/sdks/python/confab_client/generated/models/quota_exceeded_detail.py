from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="QuotaExceededDetail")


@_attrs_define
class QuotaExceededDetail:
    """The token budget that refused a request, what is left of it and when it resets.

    Attributes:
        scope (str): `user` (the caller's own budget) or `tenant` (everyone's together).
        period (str): `day` or `month` (UTC).
        limit (int):
        used (int):
        remaining (int):
        requested (int): The most this request could use: its estimated input plus its maximum output.
        resets_at (datetime.datetime):
    """

    scope: str
    period: str
    limit: int
    used: int
    remaining: int
    requested: int
    resets_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        scope = self.scope

        period = self.period

        limit = self.limit

        used = self.used

        remaining = self.remaining

        requested = self.requested

        resets_at = self.resets_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "scope": scope,
                "period": period,
                "limit": limit,
                "used": used,
                "remaining": remaining,
                "requested": requested,
                "resets_at": resets_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        scope = d.pop("scope")

        period = d.pop("period")

        limit = d.pop("limit")

        used = d.pop("used")

        remaining = d.pop("remaining")

        requested = d.pop("requested")

        resets_at = datetime.datetime.fromisoformat(d.pop("resets_at"))

        quota_exceeded_detail = cls(
            scope=scope,
            period=period,
            limit=limit,
            used=used,
            remaining=remaining,
            requested=requested,
            resets_at=resets_at,
        )

        quota_exceeded_detail.additional_properties = d
        return quota_exceeded_detail

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
