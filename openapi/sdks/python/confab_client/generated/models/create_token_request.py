from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.keep_mode import KeepMode
from ..models.tenant_role import TenantRole
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateTokenRequest")


@_attrs_define
class CreateTokenRequest:
    """A new API token for the caller (shown once).

    Attributes:
        name (str): What the token is for, e.g. "CI reporting".
        expires_in_days (int | None | Unset): Lifetime in days (0 = never expires). Defaults to the installation's
            setting.
        keep (KeepMode | None | Unset): What the OpenAI-compatible endpoint (`/openai/v1`) keeps of this token's calls.
            Defaults to `metadata`.
        role (None | TenantRole | Unset): The most the token may do; at most your own role. Defaults to your role.
    """

    name: str
    expires_in_days: int | None | Unset = UNSET
    keep: KeepMode | None | Unset = UNSET
    role: None | TenantRole | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        expires_in_days: int | None | Unset
        if isinstance(self.expires_in_days, Unset):
            expires_in_days = UNSET
        else:
            expires_in_days = self.expires_in_days

        keep: None | str | Unset
        if isinstance(self.keep, Unset):
            keep = UNSET
        elif isinstance(self.keep, KeepMode):
            keep = self.keep.value
        else:
            keep = self.keep

        role: None | str | Unset
        if isinstance(self.role, Unset):
            role = UNSET
        elif isinstance(self.role, TenantRole):
            role = self.role.value
        else:
            role = self.role

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
            }
        )
        if expires_in_days is not UNSET:
            field_dict["expires_in_days"] = expires_in_days
        if keep is not UNSET:
            field_dict["keep"] = keep
        if role is not UNSET:
            field_dict["role"] = role

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        def _parse_expires_in_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        expires_in_days = _parse_expires_in_days(d.pop("expires_in_days", UNSET))

        def _parse_keep(data: object) -> KeepMode | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                keep_type_1 = KeepMode(data)

                return keep_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(KeepMode | None | Unset, data)

        keep = _parse_keep(d.pop("keep", UNSET))

        def _parse_role(data: object) -> None | TenantRole | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                role_type_1 = TenantRole(data)

                return role_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TenantRole | Unset, data)

        role = _parse_role(d.pop("role", UNSET))

        create_token_request = cls(
            name=name,
            expires_in_days=expires_in_days,
            keep=keep,
            role=role,
        )

        create_token_request.additional_properties = d
        return create_token_request

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
