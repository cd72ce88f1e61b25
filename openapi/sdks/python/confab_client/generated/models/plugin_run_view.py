from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PluginRunView")


@_attrs_define
class PluginRunView:
    """One plugin call during a turn.

    Attributes:
        elapsed_us (int): How long the call took, in microseconds.
        outcome (str): `unchanged`, `changed` (it rewrote the request or answer), `rejected` (it refused the turn),
            `failed_open` (it failed and the turn went on without it) or `failed` (it failed and ended
            the turn).
        plugin (str): The plugin's name.
        version (str): The version that ran.
        detail (None | str | Unset): The rejection reason, or what went wrong.
    """

    elapsed_us: int
    outcome: str
    plugin: str
    version: str
    detail: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        elapsed_us = self.elapsed_us

        outcome = self.outcome

        plugin = self.plugin

        version = self.version

        detail: None | str | Unset
        if isinstance(self.detail, Unset):
            detail = UNSET
        else:
            detail = self.detail

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "elapsed_us": elapsed_us,
                "outcome": outcome,
                "plugin": plugin,
                "version": version,
            }
        )
        if detail is not UNSET:
            field_dict["detail"] = detail

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        elapsed_us = d.pop("elapsed_us")

        outcome = d.pop("outcome")

        plugin = d.pop("plugin")

        version = d.pop("version")

        def _parse_detail(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        detail = _parse_detail(d.pop("detail", UNSET))

        plugin_run_view = cls(
            elapsed_us=elapsed_us,
            outcome=outcome,
            plugin=plugin,
            version=version,
            detail=detail,
        )

        plugin_run_view.additional_properties = d
        return plugin_run_view

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
