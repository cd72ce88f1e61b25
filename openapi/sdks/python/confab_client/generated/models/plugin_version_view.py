from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.failure_policy_name import FailurePolicyName
from ..types import UNSET, Unset

T = TypeVar("T", bound="PluginVersionView")


@_attrs_define
class PluginVersionView:
    """
    Attributes:
        id (UUID):
        name (str):
        version (str):
        description (str):
        hooks (list[str]):
        default_failure_policy (FailurePolicyName):
        sha256 (str):
        size_bytes (int):
        created_at (datetime.datetime):
        config_schema (Any | Unset): JSON Schema (a subset) of the per-tenant configuration.
    """

    id: UUID
    name: str
    version: str
    description: str
    hooks: list[str]
    default_failure_policy: FailurePolicyName
    sha256: str
    size_bytes: int
    created_at: datetime.datetime
    config_schema: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        name = self.name

        version = self.version

        description = self.description

        hooks = self.hooks

        default_failure_policy = self.default_failure_policy.value

        sha256 = self.sha256

        size_bytes = self.size_bytes

        created_at = self.created_at.isoformat()

        config_schema = self.config_schema

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "version": version,
                "description": description,
                "hooks": hooks,
                "default_failure_policy": default_failure_policy,
                "sha256": sha256,
                "size_bytes": size_bytes,
                "created_at": created_at,
            }
        )
        if config_schema is not UNSET:
            field_dict["config_schema"] = config_schema

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        name = d.pop("name")

        version = d.pop("version")

        description = d.pop("description")

        hooks = cast(list[str], d.pop("hooks"))

        default_failure_policy = FailurePolicyName(d.pop("default_failure_policy"))

        sha256 = d.pop("sha256")

        size_bytes = d.pop("size_bytes")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        config_schema = d.pop("config_schema", UNSET)

        plugin_version_view = cls(
            id=id,
            name=name,
            version=version,
            description=description,
            hooks=hooks,
            default_failure_policy=default_failure_policy,
            sha256=sha256,
            size_bytes=size_bytes,
            created_at=created_at,
            config_schema=config_schema,
        )

        plugin_version_view.additional_properties = d
        return plugin_version_view

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
