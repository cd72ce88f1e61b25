from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.quota_period import QuotaPeriod
from ..types import UNSET, Unset

T = TypeVar("T", bound="QuotaStandingView")


@_attrs_define
class QuotaStandingView:
    """Where a user, or the whole tenant, stands against a quota in its current period.

    Attributes:
        limit (int): The quota's token limit.
        percent (float): `used` as a share of `limit`, in percent (100 for a zero limit).
        period (QuotaPeriod): A quota period, in UTC: a calendar `day` or `month`.
        used (int): Tokens used so far in the period.
        email (None | str | Unset): The user's e-mail address; null for the tenant's own quota.
        user_id (None | Unset | UUID): The user; null for the tenant's own quota.
    """

    limit: int
    percent: float
    period: QuotaPeriod
    used: int
    email: None | str | Unset = UNSET
    user_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        limit = self.limit

        percent = self.percent

        period = self.period.value

        used = self.used

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        user_id: None | str | Unset
        if isinstance(self.user_id, Unset):
            user_id = UNSET
        elif isinstance(self.user_id, UUID):
            user_id = str(self.user_id)
        else:
            user_id = self.user_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "limit": limit,
                "percent": percent,
                "period": period,
                "used": used,
            }
        )
        if email is not UNSET:
            field_dict["email"] = email
        if user_id is not UNSET:
            field_dict["user_id"] = user_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        limit = d.pop("limit")

        percent = d.pop("percent")

        period = QuotaPeriod(d.pop("period"))

        used = d.pop("used")

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        def _parse_user_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                user_id_type_0 = UUID(data)

                return user_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        user_id = _parse_user_id(d.pop("user_id", UNSET))

        quota_standing_view = cls(
            limit=limit,
            percent=percent,
            period=period,
            used=used,
            email=email,
            user_id=user_id,
        )

        quota_standing_view.additional_properties = d
        return quota_standing_view

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
