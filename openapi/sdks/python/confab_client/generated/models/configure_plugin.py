from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.failure_policy import FailurePolicy
from ..types import UNSET, Unset

T = TypeVar("T", bound="ConfigurePlugin")


@_attrs_define
class ConfigurePlugin:
    """Adds a plugin to the tenant's chain or changes its configuration.

    Attributes:
        enabled (bool): Whether it runs.
        version (str): The version to run (an uploaded one).
        config (Any | Unset): Checked against the version's configuration schema; `{}` when absent.
        failure_policy (FailurePolicy | None | Unset): The plugin manifest's default when absent.
        time_budget_ms (int | None | Unset): Per call, 1–2000 ms; 50 when absent.
    """

    enabled: bool
    version: str
    config: Any | Unset = UNSET
    failure_policy: FailurePolicy | None | Unset = UNSET
    time_budget_ms: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        version = self.version

        config = self.config

        failure_policy: None | str | Unset
        if isinstance(self.failure_policy, Unset):
            failure_policy = UNSET
        elif isinstance(self.failure_policy, FailurePolicy):
            failure_policy = self.failure_policy.value
        else:
            failure_policy = self.failure_policy

        time_budget_ms: int | None | Unset
        if isinstance(self.time_budget_ms, Unset):
            time_budget_ms = UNSET
        else:
            time_budget_ms = self.time_budget_ms

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "enabled": enabled,
                "version": version,
            }
        )
        if config is not UNSET:
            field_dict["config"] = config
        if failure_policy is not UNSET:
            field_dict["failure_policy"] = failure_policy
        if time_budget_ms is not UNSET:
            field_dict["time_budget_ms"] = time_budget_ms

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        enabled = d.pop("enabled")

        version = d.pop("version")

        config = d.pop("config", UNSET)

        def _parse_failure_policy(data: object) -> FailurePolicy | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                failure_policy_type_1 = FailurePolicy(data)

                return failure_policy_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(FailurePolicy | None | Unset, data)

        failure_policy = _parse_failure_policy(d.pop("failure_policy", UNSET))

        def _parse_time_budget_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        time_budget_ms = _parse_time_budget_ms(d.pop("time_budget_ms", UNSET))

        configure_plugin = cls(
            enabled=enabled,
            version=version,
            config=config,
            failure_policy=failure_policy,
            time_budget_ms=time_budget_ms,
        )

        configure_plugin.additional_properties = d
        return configure_plugin

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
