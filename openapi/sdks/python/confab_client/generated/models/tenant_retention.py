from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.platform_retention import PlatformRetention
    from ..models.retention_periods import RetentionPeriods


T = TypeVar("T", bound="TenantRetention")


@_attrs_define
class TenantRetention:
    """A tenant's retention: its own policy, what applies, and the platform's bounds.

    Attributes:
        effective (RetentionPeriods): Retention periods in days; `null` keeps forever (where the platform's ceiling
            allows).
        platform (PlatformRetention): The platform's default retention and the floor and ceiling every tenant policy
            stays within.
        policy (None | RetentionPeriods | Unset): The tenant's own policy, or `null` when it follows the platform
            default.
        updated_at (datetime.datetime | None | Unset): When the tenant's policy last changed.
    """

    effective: RetentionPeriods
    platform: PlatformRetention
    policy: None | RetentionPeriods | Unset = UNSET
    updated_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.retention_periods import RetentionPeriods

        effective = self.effective.to_dict()

        platform = self.platform.to_dict()

        policy: dict[str, Any] | None | Unset
        if isinstance(self.policy, Unset):
            policy = UNSET
        elif isinstance(self.policy, RetentionPeriods):
            policy = self.policy.to_dict()
        else:
            policy = self.policy

        updated_at: None | str | Unset
        if isinstance(self.updated_at, Unset):
            updated_at = UNSET
        elif isinstance(self.updated_at, datetime.datetime):
            updated_at = self.updated_at.isoformat()
        else:
            updated_at = self.updated_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "effective": effective,
                "platform": platform,
            }
        )
        if policy is not UNSET:
            field_dict["policy"] = policy
        if updated_at is not UNSET:
            field_dict["updated_at"] = updated_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.platform_retention import PlatformRetention
        from ..models.retention_periods import RetentionPeriods

        d = dict(src_dict)
        effective = RetentionPeriods.from_dict(d.pop("effective"))

        platform = PlatformRetention.from_dict(d.pop("platform"))

        def _parse_policy(data: object) -> None | RetentionPeriods | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                policy_type_1 = RetentionPeriods.from_dict(data)

                return policy_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RetentionPeriods | Unset, data)

        policy = _parse_policy(d.pop("policy", UNSET))

        def _parse_updated_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                updated_at_type_0 = datetime.datetime.fromisoformat(data)

                return updated_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        updated_at = _parse_updated_at(d.pop("updated_at", UNSET))

        tenant_retention = cls(
            effective=effective,
            platform=platform,
            policy=policy,
            updated_at=updated_at,
        )

        tenant_retention.additional_properties = d
        return tenant_retention

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
