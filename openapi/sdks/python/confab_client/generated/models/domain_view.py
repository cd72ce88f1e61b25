from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="DomainView")


@_attrs_define
class DomainView:
    """An e-mail domain the tenant claims. Until `verified`, publish `txt_value` as a TXT record at
    `txt_name` and ask for verification.

        Attributes:
            created_at (datetime.datetime): When the tenant claimed it.
            domain (str): The domain name, lower-case.
            txt_name (str): The DNS name of the TXT record, e.g. `_confab-challenge.example.com`.
            txt_value (str): The value the TXT record must hold.
            verified (bool): Whether the tenant proved it controls the domain.
            verified_at (datetime.datetime | None | Unset): When it was verified.
            verified_by (None | str | Unset): `dns` (the TXT record) or `operator` (`confab admin verify-domain`).
    """

    created_at: datetime.datetime
    domain: str
    txt_name: str
    txt_value: str
    verified: bool
    verified_at: datetime.datetime | None | Unset = UNSET
    verified_by: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        domain = self.domain

        txt_name = self.txt_name

        txt_value = self.txt_value

        verified = self.verified

        verified_at: None | str | Unset
        if isinstance(self.verified_at, Unset):
            verified_at = UNSET
        elif isinstance(self.verified_at, datetime.datetime):
            verified_at = self.verified_at.isoformat()
        else:
            verified_at = self.verified_at

        verified_by: None | str | Unset
        if isinstance(self.verified_by, Unset):
            verified_by = UNSET
        else:
            verified_by = self.verified_by

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "domain": domain,
                "txt_name": txt_name,
                "txt_value": txt_value,
                "verified": verified,
            }
        )
        if verified_at is not UNSET:
            field_dict["verified_at"] = verified_at
        if verified_by is not UNSET:
            field_dict["verified_by"] = verified_by

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        domain = d.pop("domain")

        txt_name = d.pop("txt_name")

        txt_value = d.pop("txt_value")

        verified = d.pop("verified")

        def _parse_verified_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                verified_at_type_0 = datetime.datetime.fromisoformat(data)

                return verified_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        verified_at = _parse_verified_at(d.pop("verified_at", UNSET))

        def _parse_verified_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        verified_by = _parse_verified_by(d.pop("verified_by", UNSET))

        domain_view = cls(
            created_at=created_at,
            domain=domain,
            txt_name=txt_name,
            txt_value=txt_value,
            verified=verified,
            verified_at=verified_at,
            verified_by=verified_by,
        )

        domain_view.additional_properties = d
        return domain_view

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
