from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.hold_scope import HoldScope
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateLegalHold")


@_attrs_define
class CreateLegalHold:
    """Places a legal hold.

    Attributes:
        case_name (str): The matter it is for (1–200 characters).
        reason (str): Why (1–2000 characters).
        scope (HoldScope): What a legal hold covers.
        subject_id (None | Unset | UUID): The user's or conversation's id; `null` (or absent) for a tenant hold.
    """

    case_name: str
    reason: str
    scope: HoldScope
    subject_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        case_name = self.case_name

        reason = self.reason

        scope = self.scope.value

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
                "reason": reason,
                "scope": scope,
            }
        )
        if subject_id is not UNSET:
            field_dict["subject_id"] = subject_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        case_name = d.pop("case_name")

        reason = d.pop("reason")

        scope = HoldScope(d.pop("scope"))

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

        create_legal_hold = cls(
            case_name=case_name,
            reason=reason,
            scope=scope,
            subject_id=subject_id,
        )

        create_legal_hold.additional_properties = d
        return create_legal_hold

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
