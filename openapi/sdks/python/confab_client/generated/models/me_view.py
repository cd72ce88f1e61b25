from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.credential_kind import CredentialKind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.tenant_membership_view import TenantMembershipView


T = TypeVar("T", bound="MeView")


@_attrs_define
class MeView:
    """The signed-in caller: who they are, their tenants and the active one.

    Attributes:
        credential (CredentialKind): How the caller is signed in: a browser `session` or an `api_token`.
        display_name (str): The user's name as others see it.
        email (str): The user's e-mail address.
        id (UUID): The user's id.
        is_platform_admin (bool): Whether the user operates the installation (manages tenants).
        tenants (list[TenantMembershipView]): Every tenant the user may switch to.
        active_tenant (None | TenantMembershipView | Unset): The tenant requests act in (an API token's own tenant),
            with the effective role.
        csrf_token (None | str | Unset): Send as `X-CSRF-Token` on cookie-authenticated POST/PUT/PATCH/DELETE requests.
    """

    credential: CredentialKind
    display_name: str
    email: str
    id: UUID
    is_platform_admin: bool
    tenants: list[TenantMembershipView]
    active_tenant: None | TenantMembershipView | Unset = UNSET
    csrf_token: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.tenant_membership_view import TenantMembershipView

        credential = self.credential.value

        display_name = self.display_name

        email = self.email

        id = str(self.id)

        is_platform_admin = self.is_platform_admin

        tenants = []
        for tenants_item_data in self.tenants:
            tenants_item = tenants_item_data.to_dict()
            tenants.append(tenants_item)

        active_tenant: dict[str, Any] | None | Unset
        if isinstance(self.active_tenant, Unset):
            active_tenant = UNSET
        elif isinstance(self.active_tenant, TenantMembershipView):
            active_tenant = self.active_tenant.to_dict()
        else:
            active_tenant = self.active_tenant

        csrf_token: None | str | Unset
        if isinstance(self.csrf_token, Unset):
            csrf_token = UNSET
        else:
            csrf_token = self.csrf_token

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "credential": credential,
                "display_name": display_name,
                "email": email,
                "id": id,
                "is_platform_admin": is_platform_admin,
                "tenants": tenants,
            }
        )
        if active_tenant is not UNSET:
            field_dict["active_tenant"] = active_tenant
        if csrf_token is not UNSET:
            field_dict["csrf_token"] = csrf_token

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.tenant_membership_view import TenantMembershipView

        d = dict(src_dict)
        credential = CredentialKind(d.pop("credential"))

        display_name = d.pop("display_name")

        email = d.pop("email")

        id = UUID(d.pop("id"))

        is_platform_admin = d.pop("is_platform_admin")

        tenants = []
        _tenants = d.pop("tenants")
        for tenants_item_data in _tenants:
            tenants_item = TenantMembershipView.from_dict(tenants_item_data)

            tenants.append(tenants_item)

        def _parse_active_tenant(data: object) -> None | TenantMembershipView | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                active_tenant_type_1 = TenantMembershipView.from_dict(data)

                return active_tenant_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TenantMembershipView | Unset, data)

        active_tenant = _parse_active_tenant(d.pop("active_tenant", UNSET))

        def _parse_csrf_token(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        csrf_token = _parse_csrf_token(d.pop("csrf_token", UNSET))

        me_view = cls(
            credential=credential,
            display_name=display_name,
            email=email,
            id=id,
            is_platform_admin=is_platform_admin,
            tenants=tenants,
            active_tenant=active_tenant,
            csrf_token=csrf_token,
        )

        me_view.additional_properties = d
        return me_view

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
