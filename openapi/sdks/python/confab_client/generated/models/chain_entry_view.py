from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.failure_policy_name import FailurePolicyName

T = TypeVar("T", bound="ChainEntryView")


@_attrs_define
class ChainEntryView:
    """
    Attributes:
        name (str):
        version (str):
        version_id (UUID):
        hooks (list[str]):
        enabled (bool):
        position (int): 1 runs first.
        config (Any):
        failure_policy (FailurePolicyName):
        time_budget_ms (int):
        updated_at (datetime.datetime):
    """

    name: str
    version: str
    version_id: UUID
    hooks: list[str]
    enabled: bool
    position: int
    config: Any
    failure_policy: FailurePolicyName
    time_budget_ms: int
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        version = self.version

        version_id = str(self.version_id)

        hooks = self.hooks

        enabled = self.enabled

        position = self.position

        config = self.config

        failure_policy = self.failure_policy.value

        time_budget_ms = self.time_budget_ms

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "version": version,
                "version_id": version_id,
                "hooks": hooks,
                "enabled": enabled,
                "position": position,
                "config": config,
                "failure_policy": failure_policy,
                "time_budget_ms": time_budget_ms,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        version = d.pop("version")

        version_id = UUID(d.pop("version_id"))

        hooks = cast(list[str], d.pop("hooks"))

        enabled = d.pop("enabled")

        position = d.pop("position")

        config = d.pop("config")

        failure_policy = FailurePolicyName(d.pop("failure_policy"))

        time_budget_ms = d.pop("time_budget_ms")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        chain_entry_view = cls(
            name=name,
            version=version,
            version_id=version_id,
            hooks=hooks,
            enabled=enabled,
            position=position,
            config=config,
            failure_policy=failure_policy,
            time_budget_ms=time_budget_ms,
            updated_at=updated_at,
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
