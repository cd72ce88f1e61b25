from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PluginRunView")


@_attrs_define
class PluginRunView:
    """
    Attributes:
        plugin (str):
        version (str):
        outcome (str):
        elapsed_us (int):
        detail (None | str | Unset): The rejection reason, or what went wrong.
    """

    plugin: str
    version: str
    outcome: str
    elapsed_us: int
    detail: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        plugin = self.plugin

        version = self.version

        outcome = self.outcome

        elapsed_us = self.elapsed_us

        detail: None | str | Unset
        if isinstance(self.detail, Unset):
            detail = UNSET
        else:
            detail = self.detail

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "plugin": plugin,
                "version": version,
                "outcome": outcome,
                "elapsed_us": elapsed_us,
            }
        )
        if detail is not UNSET:
            field_dict["detail"] = detail

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        plugin = d.pop("plugin")

        version = d.pop("version")

        outcome = d.pop("outcome")

        elapsed_us = d.pop("elapsed_us")

        def _parse_detail(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        detail = _parse_detail(d.pop("detail", UNSET))

        plugin_run_view = cls(
            plugin=plugin,
            version=version,
            outcome=outcome,
            elapsed_us=elapsed_us,
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
