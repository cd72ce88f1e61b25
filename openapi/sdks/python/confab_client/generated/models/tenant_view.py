from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.activation_status import ActivationStatus

T = TypeVar("T", bound="TenantView")


@_attrs_define
class TenantView:
    """A tenant: one organisation's isolated space.

    Attributes:
        created_at (datetime.datetime): When it was created.
        id (UUID): The tenant's id.
        name (str): Its display name.
        slug (str): Its short name (in URLs and sign-in).
        status (ActivationStatus): Whether an account or tenant may sign in and be used.
    """

    created_at: datetime.datetime
    id: UUID
    name: str
    slug: str
    status: ActivationStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        id = str(self.id)

        name = self.name

        slug = self.slug

        status = self.status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "id": id,
                "name": name,
                "slug": slug,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        name = d.pop("name")

        slug = d.pop("slug")

        status = ActivationStatus(d.pop("status"))

        tenant_view = cls(
            created_at=created_at,
            id=id,
            name=name,
            slug=slug,
            status=status,
        )

        tenant_view.additional_properties = d
        return tenant_view

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
