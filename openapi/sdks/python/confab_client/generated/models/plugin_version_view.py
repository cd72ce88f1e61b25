from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.failure_policy import FailurePolicy
from ..types import UNSET, Unset

T = TypeVar("T", bound="PluginVersionView")


@_attrs_define
class PluginVersionView:
    """One uploaded version of a plugin.

    Attributes:
        created_at (datetime.datetime): When it was uploaded.
        default_failure_policy (FailurePolicy): What a turn does when a plugin fails (traps, times out, exceeds a
            limit): `fail_closed` refuses
            the turn, `fail_open` goes on without the plugin.
        description (str): What the plugin does.
        hooks (list[str]): The hooks it implements: `presets`, `transform_request`, `transform_response`.
        id (UUID): The version's id.
        name (str): The plugin's name.
        sha256 (str): SHA-256 of the component (hex).
        size_bytes (int): The component's size in bytes.
        version (str): The version (semver).
        config_schema (Any | Unset): JSON Schema (a subset) of the per-tenant configuration.
    """

    created_at: datetime.datetime
    default_failure_policy: FailurePolicy
    description: str
    hooks: list[str]
    id: UUID
    name: str
    sha256: str
    size_bytes: int
    version: str
    config_schema: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        default_failure_policy = self.default_failure_policy.value

        description = self.description

        hooks = self.hooks

        id = str(self.id)

        name = self.name

        sha256 = self.sha256

        size_bytes = self.size_bytes

        version = self.version

        config_schema = self.config_schema

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "default_failure_policy": default_failure_policy,
                "description": description,
                "hooks": hooks,
                "id": id,
                "name": name,
                "sha256": sha256,
                "size_bytes": size_bytes,
                "version": version,
            }
        )
        if config_schema is not UNSET:
            field_dict["config_schema"] = config_schema

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        default_failure_policy = FailurePolicy(d.pop("default_failure_policy"))

        description = d.pop("description")

        hooks = cast(list[str], d.pop("hooks"))

        id = UUID(d.pop("id"))

        name = d.pop("name")

        sha256 = d.pop("sha256")

        size_bytes = d.pop("size_bytes")

        version = d.pop("version")

        config_schema = d.pop("config_schema", UNSET)

        plugin_version_view = cls(
            created_at=created_at,
            default_failure_policy=default_failure_policy,
            description=description,
            hooks=hooks,
            id=id,
            name=name,
            sha256=sha256,
            size_bytes=size_bytes,
            version=version,
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
