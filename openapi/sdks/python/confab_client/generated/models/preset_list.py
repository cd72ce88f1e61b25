from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.plugin_preset_view import PluginPresetView
    from ..models.preset_view import PresetView


T = TypeVar("T", bound="PresetList")


@_attrs_define
class PresetList:
    """The presets the caller may use: the tenant's and their own.

    Attributes:
        items (list[PresetView]): Tenant presets first, then the caller's own, each by name.
        plugin_items (list[PluginPresetView]): Presets offered by the tenant's enabled plugins (source `plugin`). Pin
            one with
            `plugin_preset` when starting or switching a conversation.
    """

    items: list[PresetView]
    plugin_items: list[PluginPresetView]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        plugin_items = []
        for plugin_items_item_data in self.plugin_items:
            plugin_items_item = plugin_items_item_data.to_dict()
            plugin_items.append(plugin_items_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "items": items,
                "plugin_items": plugin_items,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.plugin_preset_view import PluginPresetView
        from ..models.preset_view import PresetView

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = PresetView.from_dict(items_item_data)

            items.append(items_item)

        plugin_items = []
        _plugin_items = d.pop("plugin_items")
        for plugin_items_item_data in _plugin_items:
            plugin_items_item = PluginPresetView.from_dict(plugin_items_item_data)

            plugin_items.append(plugin_items_item)

        preset_list = cls(
            items=items,
            plugin_items=plugin_items,
        )

        preset_list.additional_properties = d
        return preset_list

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
