from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="PluginPresetRef")


@_attrs_define
class PluginPresetRef:
    """A preset provided by a plugin of the tenant's chain.

    Attributes:
        plugin (str): The plugin's name.
        preset_id (str): The preset's id within the plugin.
    """

    plugin: str
    preset_id: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        plugin = self.plugin

        preset_id = self.preset_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "plugin": plugin,
                "preset_id": preset_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        plugin = d.pop("plugin")

        preset_id = d.pop("preset_id")

        plugin_preset_ref = cls(
            plugin=plugin,
            preset_id=preset_id,
        )

        plugin_preset_ref.additional_properties = d
        return plugin_preset_ref

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
