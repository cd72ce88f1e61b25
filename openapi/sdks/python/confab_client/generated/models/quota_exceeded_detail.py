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
        limit (int): Tokens the budget allows per period.
        period (str): `day` or `month` (UTC).
        remaining (int): Tokens left in the current period.
        requested (int): The most this request could use: its estimated input plus its maximum output.
        resets_at (datetime.datetime): When the period ends and the budget is whole again.
        scope (str): `user` (the caller's own budget) or `tenant` (everyone's together).
        used (int): Tokens used (or reserved by turns still running) in the current period.
    """

    limit: int
    period: str
    remaining: int
    requested: int
    resets_at: datetime.datetime
    scope: str
    used: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        limit = self.limit

        period = self.period

        remaining = self.remaining

        requested = self.requested

        resets_at = self.resets_at.isoformat()

        scope = self.scope

        used = self.used

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "limit": limit,
                "period": period,
                "remaining": remaining,
                "requested": requested,
                "resets_at": resets_at,
                "scope": scope,
                "used": used,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        limit = d.pop("limit")

        period = d.pop("period")

        remaining = d.pop("remaining")

        requested = d.pop("requested")

        resets_at = datetime.datetime.fromisoformat(d.pop("resets_at"))

        scope = d.pop("scope")

        used = d.pop("used")

        quota_exceeded_detail = cls(
            limit=limit,
            period=period,
            remaining=remaining,
            requested=requested,
            resets_at=resets_at,
            scope=scope,
            used=used,
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
