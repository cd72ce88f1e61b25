from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.failure_policy import FailurePolicy

T = TypeVar("T", bound="ChainEntryView")


@_attrs_define
class ChainEntryView:
    """One plugin in the tenant's chain, with its configuration.

    Attributes:
        config (Any): The tenant's configuration for it, valid against the plugin's `config_schema`.
        enabled (bool): Whether it runs; a disabled plugin keeps its place and configuration.
        failure_policy (FailurePolicy): What a turn does when a plugin fails (traps, times out, exceeds a limit):
            `fail_closed` refuses
            the turn, `fail_open` goes on without the plugin.
        hooks (list[str]): The hooks this version implements: `presets`, `transform_request`, `transform_response`.
        name (str): The plugin's name.
        position (int): 1 runs first.
        time_budget_ms (int): The most time one call of the plugin may take, in milliseconds.
        updated_at (datetime.datetime): When the tenant last changed this entry.
        version (str): The version that runs (semver).
        version_id (UUID): The id of the uploaded version that runs.
    """

    config: Any
    enabled: bool
    failure_policy: FailurePolicy
    hooks: list[str]
    name: str
    position: int
    time_budget_ms: int
    updated_at: datetime.datetime
    version: str
    version_id: UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        config = self.config

        enabled = self.enabled

        failure_policy = self.failure_policy.value

        hooks = self.hooks

        name = self.name

        position = self.position

        time_budget_ms = self.time_budget_ms

        updated_at = self.updated_at.isoformat()

        version = self.version

        version_id = str(self.version_id)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "config": config,
                "enabled": enabled,
                "failure_policy": failure_policy,
                "hooks": hooks,
                "name": name,
                "position": position,
                "time_budget_ms": time_budget_ms,
                "updated_at": updated_at,
                "version": version,
                "version_id": version_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        config = d.pop("config")

        enabled = d.pop("enabled")

        failure_policy = FailurePolicy(d.pop("failure_policy"))

        hooks = cast(list[str], d.pop("hooks"))

        name = d.pop("name")

        position = d.pop("position")

        time_budget_ms = d.pop("time_budget_ms")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        version = d.pop("version")

        version_id = UUID(d.pop("version_id"))

        chain_entry_view = cls(
            config=config,
            enabled=enabled,
            failure_policy=failure_policy,
            hooks=hooks,
            name=name,
            position=position,
            time_budget_ms=time_budget_ms,
            updated_at=updated_at,
            version=version,
            version_id=version_id,
        )

        chain_entry_view.additional_properties = d
        return chain_entry_view

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
