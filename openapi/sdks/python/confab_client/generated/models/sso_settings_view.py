from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SsoSettingsView")


@_attrs_define
class SsoSettingsView:
    """A tenant's OpenID provider settings (the client secret is never shown).

    Attributes:
        allow_passwords (bool): Whether members may still sign in with a password (platform admins always may).
        allowed_domains (list[str]): E-mail domains that may sign in (lower-case); empty allows any.
        client_id (str): The client id Confab is registered with at the provider.
        display_name (str): The button's label: "Sign in with {display_name}".
        email_claim (str): The claim holding the e-mail address.
        enabled (bool): Whether the sign-in button is offered.
        has_client_secret (bool): Whether a client secret is stored (sealed under the master key).
        issuer (str): The provider's issuer identifier (discovery at `{issuer}/.well-known/openid-configuration`).
        jit_provisioning (bool): Whether a first sign-in creates the account and membership.
        name_claim (str): The claim holding the person's name.
        redirect_uri (str): The redirect URI to register at the provider.
        scopes (list[str]): Scopes requested, `openid` first.
        updated_at (datetime.datetime): When the settings last changed.
        groups_claim (None | str | Unset): The claim listing the person's groups; when set, the tenant's role mappings
            decide the
            role at every sign-in.
    """

    allow_passwords: bool
    allowed_domains: list[str]
    client_id: str
    display_name: str
    email_claim: str
    enabled: bool
    has_client_secret: bool
    issuer: str
    jit_provisioning: bool
    name_claim: str
    redirect_uri: str
    scopes: list[str]
    updated_at: datetime.datetime
    groups_claim: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        allow_passwords = self.allow_passwords

        allowed_domains = self.allowed_domains

        client_id = self.client_id

        display_name = self.display_name

        email_claim = self.email_claim

        enabled = self.enabled

        has_client_secret = self.has_client_secret

        issuer = self.issuer

        jit_provisioning = self.jit_provisioning

        name_claim = self.name_claim

        redirect_uri = self.redirect_uri

        scopes = self.scopes

        updated_at = self.updated_at.isoformat()

        groups_claim: None | str | Unset
        if isinstance(self.groups_claim, Unset):
            groups_claim = UNSET
        else:
            groups_claim = self.groups_claim

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "allow_passwords": allow_passwords,
                "allowed_domains": allowed_domains,
                "client_id": client_id,
                "display_name": display_name,
                "email_claim": email_claim,
                "enabled": enabled,
                "has_client_secret": has_client_secret,
                "issuer": issuer,
                "jit_provisioning": jit_provisioning,
                "name_claim": name_claim,
                "redirect_uri": redirect_uri,
                "scopes": scopes,
                "updated_at": updated_at,
            }
        )
        if groups_claim is not UNSET:
            field_dict["groups_claim"] = groups_claim

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        allow_passwords = d.pop("allow_passwords")

        allowed_domains = cast(list[str], d.pop("allowed_domains"))

        client_id = d.pop("client_id")

        display_name = d.pop("display_name")

        email_claim = d.pop("email_claim")

        enabled = d.pop("enabled")

        has_client_secret = d.pop("has_client_secret")

        issuer = d.pop("issuer")

        jit_provisioning = d.pop("jit_provisioning")

        name_claim = d.pop("name_claim")

        redirect_uri = d.pop("redirect_uri")

        scopes = cast(list[str], d.pop("scopes"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_groups_claim(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        groups_claim = _parse_groups_claim(d.pop("groups_claim", UNSET))

        sso_settings_view = cls(
            allow_passwords=allow_passwords,
            allowed_domains=allowed_domains,
            client_id=client_id,
            display_name=display_name,
            email_claim=email_claim,
            enabled=enabled,
            has_client_secret=has_client_secret,
            issuer=issuer,
            jit_provisioning=jit_provisioning,
            name_claim=name_claim,
            redirect_uri=redirect_uri,
            scopes=scopes,
            updated_at=updated_at,
            groups_claim=groups_claim,
        )

        sso_settings_view.additional_properties = d
        return sso_settings_view

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
