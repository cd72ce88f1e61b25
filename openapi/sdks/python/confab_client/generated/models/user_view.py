from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.activation_status import ActivationStatus
from ..models.tenant_role import TenantRole

T = TypeVar("T", bound="UserView")


@_attrs_define
class UserView:
    """A user of the active tenant.

    Attributes:
        created_at (datetime.datetime): When the user joined the tenant (for an account made by the tenant, when it was
            created).
        display_name (str): Their name as others see it.
        email (str): Their e-mail address.
        id (UUID): The user's id.
        role (TenantRole): A user's role in a tenant: `member` (chat), `auditor` (also reads audit and usage) or
            `tenant_admin` (manages the tenant).
        status (ActivationStatus): Whether an account or tenant may sign in and be used.
    """

    created_at: datetime.datetime
    display_name: str
    email: str
    id: UUID
    role: TenantRole
    status: ActivationStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        display_name = self.display_name

        email = self.email

        id = str(self.id)

        role = self.role.value

        status = self.status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "display_name": display_name,
                "email": email,
                "id": id,
                "role": role,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        display_name = d.pop("display_name")

        email = d.pop("email")

        id = UUID(d.pop("id"))

        role = TenantRole(d.pop("role"))

        status = ActivationStatus(d.pop("status"))

        user_view = cls(
            created_at=created_at,
            display_name=display_name,
            email=email,
            id=id,
            role=role,
            status=status,
        )

        user_view.additional_properties = d
        return user_view

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
