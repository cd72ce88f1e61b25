from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="TenantStorage")


@_attrs_define
class TenantStorage:
    """What a tenant's files take.

    Attributes:
        bytes_ (int): Bytes they take (identical files of a tenant are stored once, but counted for each).
        files (int): Its users' files.
        tenant_id (UUID): The tenant.
        quota_bytes (int | None | Unset): Bytes the tenant may store; null when unlimited.
    """

    bytes_: int
    files: int
    tenant_id: UUID
    quota_bytes: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        bytes_ = self.bytes_

        files = self.files

        tenant_id = str(self.tenant_id)

        quota_bytes: int | None | Unset
        if isinstance(self.quota_bytes, Unset):
            quota_bytes = UNSET
        else:
            quota_bytes = self.quota_bytes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "bytes": bytes_,
                "files": files,
                "tenant_id": tenant_id,
            }
        )
        if quota_bytes is not UNSET:
            field_dict["quota_bytes"] = quota_bytes

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        bytes_ = d.pop("bytes")

        files = d.pop("files")

        tenant_id = UUID(d.pop("tenant_id"))

        def _parse_quota_bytes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        quota_bytes = _parse_quota_bytes(d.pop("quota_bytes", UNSET))

        tenant_storage = cls(
            bytes_=bytes_,
            files=files,
            tenant_id=tenant_id,
            quota_bytes=quota_bytes,
        )

        tenant_storage.additional_properties = d
        return tenant_storage

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
