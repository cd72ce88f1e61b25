from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.period_name import PeriodName

T = TypeVar("T", bound="QuotaStatusView")


@_attrs_define
class QuotaStatusView:
    """
    Attributes:
        scope (str): `user` (my own budget) or `tenant` (everyone's together).
        period (PeriodName):
        limit (int):
        used (int): Settled usage in the current period.
        reserved (int): Held by answers still being written.
        remaining (int):
        resets_at (datetime.datetime):
    """

    scope: str
    period: PeriodName
    limit: int
    used: int
    reserved: int
    remaining: int
    resets_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        scope = self.scope

        period = self.period.value

        limit = self.limit

        used = self.used

        reserved = self.reserved

        remaining = self.remaining

        resets_at = self.resets_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "scope": scope,
                "period": period,
                "limit": limit,
                "used": used,
                "reserved": reserved,
                "remaining": remaining,
                "resets_at": resets_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        scope = d.pop("scope")

        period = PeriodName(d.pop("period"))

        limit = d.pop("limit")

        used = d.pop("used")

        reserved = d.pop("reserved")

        remaining = d.pop("remaining")

        resets_at = datetime.datetime.fromisoformat(d.pop("resets_at"))

        quota_status_view = cls(
            scope=scope,
            period=period,
            limit=limit,
            used=used,
            reserved=reserved,
            remaining=remaining,
            resets_at=resets_at,
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
