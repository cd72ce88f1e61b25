from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="PinnedPluginPreset")


@_attrs_define
class PinnedPluginPreset:
    """A plugin preset pinned to a conversation, at the plugin version it came from.

    Attributes:
        plugin_version_id (UUID): The plugin version that provides it.
        preset_id (str): The preset's id within the plugin.
    """

    plugin_version_id: UUID
    preset_id: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        plugin_version_id = str(self.plugin_version_id)

        preset_id = self.preset_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "plugin_version_id": plugin_version_id,
                "preset_id": preset_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        plugin_version_id = UUID(d.pop("plugin_version_id"))

        preset_id = d.pop("preset_id")

        pinned_plugin_preset = cls(
            plugin_version_id=plugin_version_id,
            preset_id=preset_id,
        )

        pinned_plugin_preset.additional_properties = d
        return pinned_plugin_preset

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
