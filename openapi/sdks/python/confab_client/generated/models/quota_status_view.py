from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.quota_period import QuotaPeriod

T = TypeVar("T", bound="QuotaStatusView")


@_attrs_define
class QuotaStatusView:
    """A quota that applies to the caller, and how much of it is left.

    Attributes:
        limit (int): Tokens allowed per period.
        period (QuotaPeriod): A quota period, in UTC: a calendar `day` or `month`.
        remaining (int): Tokens left in the current period.
        reserved (int): Held by answers still being written.
        resets_at (datetime.datetime): When the current period ends.
        scope (str): `user` (my own budget) or `tenant` (everyone's together).
        used (int): Settled usage in the current period.
    """

    limit: int
    period: QuotaPeriod
    remaining: int
    reserved: int
    resets_at: datetime.datetime
    scope: str
    used: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        limit = self.limit

        period = self.period.value

        remaining = self.remaining

        reserved = self.reserved

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
                "reserved": reserved,
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

        period = QuotaPeriod(d.pop("period"))

        remaining = d.pop("remaining")

        reserved = d.pop("reserved")

        resets_at = datetime.datetime.fromisoformat(d.pop("resets_at"))

        scope = d.pop("scope")

        used = d.pop("used")

        quota_status_view = cls(
            limit=limit,
            period=period,
            remaining=remaining,
            reserved=reserved,
            resets_at=resets_at,
            scope=scope,
            used=used,
        )

        quota_status_view.additional_properties = d
        return quota_status_view

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
