from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.tenant_role import TenantRole

T = TypeVar("T", bound="TenantMembershipView")


@_attrs_define
class TenantMembershipView:
    """A tenant the caller belongs to, and their role in it.

    Attributes:
        id (UUID): The tenant's id.
        name (str): Its display name.
        role (TenantRole): A user's role in a tenant: `member` (chat), `auditor` (also reads audit and usage) or
            `tenant_admin` (manages the tenant).
        slug (str): Its short name (in URLs and sign-in).
    """

    id: UUID
    name: str
    role: TenantRole
    slug: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        name = self.name

        role = self.role.value

        slug = self.slug

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "role": role,
                "slug": slug,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        name = d.pop("name")

        role = TenantRole(d.pop("role"))

        slug = d.pop("slug")

        tenant_membership_view = cls(
            id=id,
            name=name,
            role=role,
            slug=slug,
        )

        tenant_membership_view.additional_properties = d
        return tenant_membership_view

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
