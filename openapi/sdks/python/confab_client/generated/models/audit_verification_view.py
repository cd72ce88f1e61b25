from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="AuditVerificationView")


@_attrs_define
class AuditVerificationView:
    """The hash chain's state, as last checked.

    Attributes:
        checked_at (datetime.datetime): When the chain was walked (results are reused for a minute).
        ok (bool): Every entry links to the one before it and matches its hash, up to the chain's head.
        checked (int | None | Unset): Entries checked (the whole installation's chain); null for tenant callers, whose
            view of
            other tenants' activity this would be.
        first_broken_seq (int | None | Unset): The first entry that does not hold; null when the chain is intact or the
            entry is not the
            caller's to see.
        problem (None | str | Unset): What is wrong, in words; null when intact.
    """

    checked_at: datetime.datetime
    ok: bool
    checked: int | None | Unset = UNSET
    first_broken_seq: int | None | Unset = UNSET
    problem: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        checked_at = self.checked_at.isoformat()

        ok = self.ok

        checked: int | None | Unset
        if isinstance(self.checked, Unset):
            checked = UNSET
        else:
            checked = self.checked

        first_broken_seq: int | None | Unset
        if isinstance(self.first_broken_seq, Unset):
            first_broken_seq = UNSET
        else:
            first_broken_seq = self.first_broken_seq

        problem: None | str | Unset
        if isinstance(self.problem, Unset):
            problem = UNSET
        else:
            problem = self.problem

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "checked_at": checked_at,
                "ok": ok,
            }
        )
        if checked is not UNSET:
            field_dict["checked"] = checked
        if first_broken_seq is not UNSET:
            field_dict["first_broken_seq"] = first_broken_seq
        if problem is not UNSET:
            field_dict["problem"] = problem

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        checked_at = datetime.datetime.fromisoformat(d.pop("checked_at"))

        ok = d.pop("ok")

        def _parse_checked(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        checked = _parse_checked(d.pop("checked", UNSET))

        def _parse_first_broken_seq(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        first_broken_seq = _parse_first_broken_seq(d.pop("first_broken_seq", UNSET))

        def _parse_problem(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        problem = _parse_problem(d.pop("problem", UNSET))

        audit_verification_view = cls(
            checked_at=checked_at,
            ok=ok,
            checked=checked,
            first_broken_seq=first_broken_seq,
            problem=problem,
        )

        audit_verification_view.additional_properties = d
        return audit_verification_view

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
