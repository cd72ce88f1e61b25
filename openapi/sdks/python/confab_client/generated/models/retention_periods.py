from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="RetentionPeriods")


@_attrs_define
class RetentionPeriods:
    """Retention periods in days; `null` keeps forever (where the platform's ceiling allows).

    Attributes:
        audit_days (int | None | Unset): Audit entries (1–36500); `null` keeps them forever.
        conversation_days (int | None | Unset): Conversations by last activity, with their messages, branches, plugin
            runs, idempotency
            keys, search documents and stream copies (1–36500).
        deleted_grace_days (int | None | Unset): How long a conversation its owner deleted stays, hidden, before it is
            purged (0–36500).
        share_days (int | None | Unset): Share snapshots (by creation) and their viewer logs (by view) (1–36500).
        usage_days (int | None | Unset): Usage events, folded into daily totals before they go, so usage charts stay
            right (1–36500).
    """

    audit_days: int | None | Unset = UNSET
    conversation_days: int | None | Unset = UNSET
    deleted_grace_days: int | None | Unset = UNSET
    share_days: int | None | Unset = UNSET
    usage_days: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        audit_days: int | None | Unset
        if isinstance(self.audit_days, Unset):
            audit_days = UNSET
        else:
            audit_days = self.audit_days

        conversation_days: int | None | Unset
        if isinstance(self.conversation_days, Unset):
            conversation_days = UNSET
        else:
            conversation_days = self.conversation_days

        deleted_grace_days: int | None | Unset
        if isinstance(self.deleted_grace_days, Unset):
            deleted_grace_days = UNSET
        else:
            deleted_grace_days = self.deleted_grace_days

        share_days: int | None | Unset
        if isinstance(self.share_days, Unset):
            share_days = UNSET
        else:
            share_days = self.share_days

        usage_days: int | None | Unset
        if isinstance(self.usage_days, Unset):
            usage_days = UNSET
        else:
            usage_days = self.usage_days

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if audit_days is not UNSET:
            field_dict["audit_days"] = audit_days
        if conversation_days is not UNSET:
            field_dict["conversation_days"] = conversation_days
        if deleted_grace_days is not UNSET:
            field_dict["deleted_grace_days"] = deleted_grace_days
        if share_days is not UNSET:
            field_dict["share_days"] = share_days
        if usage_days is not UNSET:
            field_dict["usage_days"] = usage_days

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_audit_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        audit_days = _parse_audit_days(d.pop("audit_days", UNSET))

        def _parse_conversation_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        conversation_days = _parse_conversation_days(d.pop("conversation_days", UNSET))

        def _parse_deleted_grace_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        deleted_grace_days = _parse_deleted_grace_days(
            d.pop("deleted_grace_days", UNSET)
        )

        def _parse_share_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        share_days = _parse_share_days(d.pop("share_days", UNSET))

        def _parse_usage_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        usage_days = _parse_usage_days(d.pop("usage_days", UNSET))

        retention_periods = cls(
            audit_days=audit_days,
            conversation_days=conversation_days,
            deleted_grace_days=deleted_grace_days,
            share_days=share_days,
            usage_days=usage_days,
        )

        retention_periods.additional_properties = d
        return retention_periods

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
