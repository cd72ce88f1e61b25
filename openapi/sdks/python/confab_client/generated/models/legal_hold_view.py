from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.hold_scope import HoldScope
from ..types import UNSET, Unset

T = TypeVar("T", bound="LegalHoldView")


@_attrs_define
class LegalHoldView:
    """A legal hold: while active, nothing it covers is purged, hard-deleted or erased.

    Attributes:
        case_name (str): The matter it is for.
        created_at (datetime.datetime): When it was placed.
        created_by (str): Who placed it (their label at the time).
        id (UUID): The hold's id.
        reason (str): Why.
        scope (HoldScope): What a legal hold covers.
        tenant_id (UUID): Its tenant.
        released_at (datetime.datetime | None | Unset): When it was released; `null` while active.
        released_by (None | str | Unset): Who released it.
        subject_id (None | Unset | UUID): The user or conversation; `null` for a tenant hold.
    """

    case_name: str
    created_at: datetime.datetime
    created_by: str
    id: UUID
    reason: str
    scope: HoldScope
    tenant_id: UUID
    released_at: datetime.datetime | None | Unset = UNSET
    released_by: None | str | Unset = UNSET
    subject_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        case_name = self.case_name

        created_at = self.created_at.isoformat()

        created_by = self.created_by

        id = str(self.id)

        reason = self.reason

        scope = self.scope.value

        tenant_id = str(self.tenant_id)

        released_at: None | str | Unset
        if isinstance(self.released_at, Unset):
            released_at = UNSET
        elif isinstance(self.released_at, datetime.datetime):
            released_at = self.released_at.isoformat()
        else:
            released_at = self.released_at

        released_by: None | str | Unset
        if isinstance(self.released_by, Unset):
            released_by = UNSET
        else:
            released_by = self.released_by

        subject_id: None | str | Unset
        if isinstance(self.subject_id, Unset):
            subject_id = UNSET
        elif isinstance(self.subject_id, UUID):
            subject_id = str(self.subject_id)
        else:
            subject_id = self.subject_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "case_name": case_name,
                "created_at": created_at,
                "created_by": created_by,
                "id": id,
                "reason": reason,
                "scope": scope,
                "tenant_id": tenant_id,
            }
        )
        if released_at is not UNSET:
            field_dict["released_at"] = released_at
        if released_by is not UNSET:
            field_dict["released_by"] = released_by
        if subject_id is not UNSET:
            field_dict["subject_id"] = subject_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        case_name = d.pop("case_name")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        created_by = d.pop("created_by")

        id = UUID(d.pop("id"))

        reason = d.pop("reason")

        scope = HoldScope(d.pop("scope"))

        tenant_id = UUID(d.pop("tenant_id"))

        def _parse_released_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                released_at_type_0 = datetime.datetime.fromisoformat(data)

                return released_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        released_at = _parse_released_at(d.pop("released_at", UNSET))

        def _parse_released_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        released_by = _parse_released_by(d.pop("released_by", UNSET))

        def _parse_subject_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                subject_id_type_0 = UUID(data)

                return subject_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        subject_id = _parse_subject_id(d.pop("subject_id", UNSET))

        legal_hold_view = cls(
            case_name=case_name,
            created_at=created_at,
            created_by=created_by,
            id=id,
            reason=reason,
            scope=scope,
            tenant_id=tenant_id,
            released_at=released_at,
            released_by=released_by,
            subject_id=subject_id,
        )

        legal_hold_view.additional_properties = d
        return legal_hold_view

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
