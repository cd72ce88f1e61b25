from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SsoButtonView")


@_attrs_define
class SsoButtonView:
    """A "Sign in with …" button.

    Attributes:
        display_name (str): The provider's label.
        passwords_allowed (bool): Whether the tenant's members may also sign in with a password.
        start_url (str): Where the button leads.
        tenant_slug (str): The tenant whose provider it is; start at `/v1/auth/oidc/{tenant_slug}/start`.
    """

    display_name: str
    passwords_allowed: bool
    start_url: str
    tenant_slug: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        display_name = self.display_name

        passwords_allowed = self.passwords_allowed

        start_url = self.start_url

        tenant_slug = self.tenant_slug

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "display_name": display_name,
                "passwords_allowed": passwords_allowed,
                "start_url": start_url,
                "tenant_slug": tenant_slug,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        display_name = d.pop("display_name")

        passwords_allowed = d.pop("passwords_allowed")

        start_url = d.pop("start_url")

        tenant_slug = d.pop("tenant_slug")

        sso_button_view = cls(
            display_name=display_name,
            passwords_allowed=passwords_allowed,
            start_url=start_url,
            tenant_slug=tenant_slug,
        )

        sso_button_view.additional_properties = d
        return sso_button_view

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
