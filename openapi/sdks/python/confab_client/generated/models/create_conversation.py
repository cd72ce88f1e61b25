from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.plugin_preset_ref import PluginPresetRef


T = TypeVar("T", bound="CreateConversation")


@_attrs_define
class CreateConversation:
    """A new, empty conversation.

    Attributes:
        plugin_preset (None | PluginPresetRef | Unset): Or to a plugin's preset (from `GET /v1/presets`,
            `plugin_items`).
        preset_id (None | Unset | UUID): Pins the conversation to this preset's current version.
        title (None | str | Unset): Its title; `New conversation` when absent.
    """

    plugin_preset: None | PluginPresetRef | Unset = UNSET
    preset_id: None | Unset | UUID = UNSET
    title: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.plugin_preset_ref import PluginPresetRef

        plugin_preset: dict[str, Any] | None | Unset
        if isinstance(self.plugin_preset, Unset):
            plugin_preset = UNSET
        elif isinstance(self.plugin_preset, PluginPresetRef):
            plugin_preset = self.plugin_preset.to_dict()
        else:
            plugin_preset = self.plugin_preset

        preset_id: None | str | Unset
        if isinstance(self.preset_id, Unset):
            preset_id = UNSET
        elif isinstance(self.preset_id, UUID):
            preset_id = str(self.preset_id)
        else:
            preset_id = self.preset_id

        title: None | str | Unset
        if isinstance(self.title, Unset):
            title = UNSET
        else:
            title = self.title

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if plugin_preset is not UNSET:
            field_dict["plugin_preset"] = plugin_preset
        if preset_id is not UNSET:
            field_dict["preset_id"] = preset_id
        if title is not UNSET:
            field_dict["title"] = title

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.plugin_preset_ref import PluginPresetRef

        d = dict(src_dict)

        def _parse_plugin_preset(data: object) -> None | PluginPresetRef | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                plugin_preset_type_1 = PluginPresetRef.from_dict(data)

                return plugin_preset_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PluginPresetRef | Unset, data)

        plugin_preset = _parse_plugin_preset(d.pop("plugin_preset", UNSET))

        def _parse_preset_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                preset_id_type_0 = UUID(data)

                return preset_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        preset_id = _parse_preset_id(d.pop("preset_id", UNSET))

        def _parse_title(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        title = _parse_title(d.pop("title", UNSET))

        create_conversation = cls(
            plugin_preset=plugin_preset,
            preset_id=preset_id,
            title=title,
        )

        create_conversation.additional_properties = d
        return create_conversation

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
