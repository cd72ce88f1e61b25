from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SsoSettingsRequest")


@_attrs_define
class SsoSettingsRequest:
    """The tenant's OpenID provider settings. The issuer must answer OpenID discovery when saved.

    Attributes:
        client_id (str): The client id registered at the provider.
        display_name (str): The button's label (1–100 characters), e.g. "Okta".
        issuer (str): The issuer identifier: `https://…` (plain `http://` only for localhost).
        allow_passwords (bool | None | Unset): Let members keep signing in with passwords (default true). Default: True.
        allowed_domains (list[str] | None | Unset): E-mail domains that may sign in; required for just-in-time
            provisioning, which also needs
            each of them verified by the tenant (`/v1/tenant/domains`).
        client_secret (None | str | Unset): The client secret (write-only). Omit to keep the stored one; an empty string
            removes it
            (a public client, PKCE only).
        email_claim (None | str | Unset): The e-mail claim (default `email`).
        enabled (bool | None | Unset): Offer the sign-in button (default true). Default: True.
        groups_claim (None | str | Unset): The groups claim (e.g. `groups`); omit to leave roles to the tenant's admins.
        jit_provisioning (bool | None | Unset): Create the account and membership at a first sign-in (default false).
            Default: False.
        name_claim (None | str | Unset): The name claim (default `name`).
        scopes (list[str] | None | Unset): Scopes to request (default `openid email profile`; `openid` is always added).
    """

    client_id: str
    display_name: str
    issuer: str
    allow_passwords: bool | None | Unset = True
    allowed_domains: list[str] | None | Unset = UNSET
    client_secret: None | str | Unset = UNSET
    email_claim: None | str | Unset = UNSET
    enabled: bool | None | Unset = True
    groups_claim: None | str | Unset = UNSET
    jit_provisioning: bool | None | Unset = False
    name_claim: None | str | Unset = UNSET
    scopes: list[str] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        client_id = self.client_id

        display_name = self.display_name

        issuer = self.issuer

        allow_passwords: bool | None | Unset
        if isinstance(self.allow_passwords, Unset):
            allow_passwords = UNSET
        else:
            allow_passwords = self.allow_passwords

        allowed_domains: list[str] | None | Unset
        if isinstance(self.allowed_domains, Unset):
            allowed_domains = UNSET
        elif isinstance(self.allowed_domains, list):
            allowed_domains = self.allowed_domains

        else:
            allowed_domains = self.allowed_domains

        client_secret: None | str | Unset
        if isinstance(self.client_secret, Unset):
            client_secret = UNSET
        else:
            client_secret = self.client_secret

        email_claim: None | str | Unset
        if isinstance(self.email_claim, Unset):
            email_claim = UNSET
        else:
            email_claim = self.email_claim

        enabled: bool | None | Unset
        if isinstance(self.enabled, Unset):
            enabled = UNSET
        else:
            enabled = self.enabled

        groups_claim: None | str | Unset
        if isinstance(self.groups_claim, Unset):
            groups_claim = UNSET
        else:
            groups_claim = self.groups_claim

        jit_provisioning: bool | None | Unset
        if isinstance(self.jit_provisioning, Unset):
            jit_provisioning = UNSET
        else:
            jit_provisioning = self.jit_provisioning

        name_claim: None | str | Unset
        if isinstance(self.name_claim, Unset):
            name_claim = UNSET
        else:
            name_claim = self.name_claim

        scopes: list[str] | None | Unset
        if isinstance(self.scopes, Unset):
            scopes = UNSET
        elif isinstance(self.scopes, list):
            scopes = self.scopes

        else:
            scopes = self.scopes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "client_id": client_id,
                "display_name": display_name,
                "issuer": issuer,
            }
        )
        if allow_passwords is not UNSET:
            field_dict["allow_passwords"] = allow_passwords
        if allowed_domains is not UNSET:
            field_dict["allowed_domains"] = allowed_domains
        if client_secret is not UNSET:
            field_dict["client_secret"] = client_secret
        if email_claim is not UNSET:
            field_dict["email_claim"] = email_claim
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if groups_claim is not UNSET:
            field_dict["groups_claim"] = groups_claim
        if jit_provisioning is not UNSET:
            field_dict["jit_provisioning"] = jit_provisioning
        if name_claim is not UNSET:
            field_dict["name_claim"] = name_claim
        if scopes is not UNSET:
            field_dict["scopes"] = scopes

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        client_id = d.pop("client_id")

        display_name = d.pop("display_name")

        issuer = d.pop("issuer")

        def _parse_allow_passwords(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        allow_passwords = _parse_allow_passwords(d.pop("allow_passwords", UNSET))

        def _parse_allowed_domains(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                allowed_domains_type_0 = cast(list[str], data)

                return allowed_domains_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        allowed_domains = _parse_allowed_domains(d.pop("allowed_domains", UNSET))

        def _parse_client_secret(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        client_secret = _parse_client_secret(d.pop("client_secret", UNSET))

        def _parse_email_claim(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email_claim = _parse_email_claim(d.pop("email_claim", UNSET))

        def _parse_enabled(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        enabled = _parse_enabled(d.pop("enabled", UNSET))

        def _parse_groups_claim(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        groups_claim = _parse_groups_claim(d.pop("groups_claim", UNSET))

        def _parse_jit_provisioning(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        jit_provisioning = _parse_jit_provisioning(d.pop("jit_provisioning", UNSET))

        def _parse_name_claim(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name_claim = _parse_name_claim(d.pop("name_claim", UNSET))

        def _parse_scopes(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                scopes_type_0 = cast(list[str], data)

                return scopes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        scopes = _parse_scopes(d.pop("scopes", UNSET))

        sso_settings_request = cls(
            client_id=client_id,
            display_name=display_name,
            issuer=issuer,
            allow_passwords=allow_passwords,
            allowed_domains=allowed_domains,
            client_secret=client_secret,
            email_claim=email_claim,
            enabled=enabled,
            groups_claim=groups_claim,
            jit_provisioning=jit_provisioning,
            name_claim=name_claim,
            scopes=scopes,
        )

        sso_settings_request.additional_properties = d
        return sso_settings_request

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
