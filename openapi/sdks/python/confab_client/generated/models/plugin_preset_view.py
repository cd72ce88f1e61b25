from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PluginPresetView")


@_attrs_define
class PluginPresetView:
    """A preset a plugin offers.

    Attributes:
        description (str): What it is for.
        id (str): The preset's id within the plugin.
        name (str): Its name.
        plugin (str): The plugin that provides it.
        plugin_version (str): The plugin version offering it; a conversation using it pins this version.
        plugin_version_id (UUID): The plugin version that provides it.
        source (str): Always `plugin`.
        starters (list[str]): Suggested first messages.
        model (None | str | Unset): The model it uses; null to use the conversation's model.
        temperature (float | None | Unset): Its sampling temperature; null for the provider's default.
    """

    description: str
    id: str
    name: str
    plugin: str
    plugin_version: str
    plugin_version_id: UUID
    source: str
    starters: list[str]
    model: None | str | Unset = UNSET
    temperature: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        description = self.description

        id = self.id

        name = self.name

        plugin = self.plugin

        plugin_version = self.plugin_version

        plugin_version_id = str(self.plugin_version_id)

        source = self.source

        starters = self.starters

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        temperature: float | None | Unset
        if isinstance(self.temperature, Unset):
            temperature = UNSET
        else:
            temperature = self.temperature

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "description": description,
                "id": id,
                "name": name,
                "plugin": plugin,
                "plugin_version": plugin_version,
                "plugin_version_id": plugin_version_id,
                "source": source,
                "starters": starters,
            }
        )
        if model is not UNSET:
            field_dict["model"] = model
        if temperature is not UNSET:
            field_dict["temperature"] = temperature

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        description = d.pop("description")

        id = d.pop("id")

        name = d.pop("name")

        plugin = d.pop("plugin")

        plugin_version = d.pop("plugin_version")

        plugin_version_id = UUID(d.pop("plugin_version_id"))

        source = d.pop("source")

        starters = cast(list[str], d.pop("starters"))

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

        def _parse_temperature(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        temperature = _parse_temperature(d.pop("temperature", UNSET))

        plugin_preset_view = cls(
            description=description,
            id=id,
            name=name,
            plugin=plugin,
            plugin_version=plugin_version,
            plugin_version_id=plugin_version_id,
            source=source,
            starters=starters,
            model=model,
            temperature=temperature,
        )

        plugin_preset_view.additional_properties = d
        return plugin_preset_view

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
