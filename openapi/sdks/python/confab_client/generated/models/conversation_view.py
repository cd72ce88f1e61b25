from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pinned_plugin_preset import PinnedPluginPreset


T = TypeVar("T", bound="ConversationView")


@_attrs_define
class ConversationView:
    """A conversation: a tree of messages owned by one user in one tenant.

    Attributes:
        archived (bool): Archived conversations leave the default list but stay searchable.
        created_at (datetime.datetime): When it was created (RFC 3339, UTC).
        id (UUID): The conversation's id.
        title (str): Its title.
        updated_at (datetime.datetime): When it last changed: a message, a title, a branch switch.
        active_leaf_id (None | Unset | UUID): The last message of the branch being shown; sends without `parent_id`
            continue it.
        plugin_preset (None | PinnedPluginPreset | Unset): Or a plugin's preset, pinned to the plugin version that
            offered it.
        preset_version_id (None | Unset | UUID): The preset version the conversation is pinned to; it changes only
            through
            `PUT /v1/conversations/{id}/preset`.
    """

    archived: bool
    created_at: datetime.datetime
    id: UUID
    title: str
    updated_at: datetime.datetime
    active_leaf_id: None | Unset | UUID = UNSET
    plugin_preset: None | PinnedPluginPreset | Unset = UNSET
    preset_version_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.pinned_plugin_preset import PinnedPluginPreset

        archived = self.archived

        created_at = self.created_at.isoformat()

        id = str(self.id)

        title = self.title

        updated_at = self.updated_at.isoformat()

        active_leaf_id: None | str | Unset
        if isinstance(self.active_leaf_id, Unset):
            active_leaf_id = UNSET
        elif isinstance(self.active_leaf_id, UUID):
            active_leaf_id = str(self.active_leaf_id)
        else:
            active_leaf_id = self.active_leaf_id

        plugin_preset: dict[str, Any] | None | Unset
        if isinstance(self.plugin_preset, Unset):
            plugin_preset = UNSET
        elif isinstance(self.plugin_preset, PinnedPluginPreset):
            plugin_preset = self.plugin_preset.to_dict()
        else:
            plugin_preset = self.plugin_preset

        preset_version_id: None | str | Unset
        if isinstance(self.preset_version_id, Unset):
            preset_version_id = UNSET
        elif isinstance(self.preset_version_id, UUID):
            preset_version_id = str(self.preset_version_id)
        else:
            preset_version_id = self.preset_version_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "archived": archived,
                "created_at": created_at,
                "id": id,
                "title": title,
                "updated_at": updated_at,
            }
        )
        if active_leaf_id is not UNSET:
            field_dict["active_leaf_id"] = active_leaf_id
        if plugin_preset is not UNSET:
            field_dict["plugin_preset"] = plugin_preset
        if preset_version_id is not UNSET:
            field_dict["preset_version_id"] = preset_version_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pinned_plugin_preset import PinnedPluginPreset

        d = dict(src_dict)
        archived = d.pop("archived")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        title = d.pop("title")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_active_leaf_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                active_leaf_id_type_0 = UUID(data)

                return active_leaf_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        active_leaf_id = _parse_active_leaf_id(d.pop("active_leaf_id", UNSET))

        def _parse_plugin_preset(data: object) -> None | PinnedPluginPreset | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                plugin_preset_type_1 = PinnedPluginPreset.from_dict(data)

                return plugin_preset_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PinnedPluginPreset | Unset, data)

        plugin_preset = _parse_plugin_preset(d.pop("plugin_preset", UNSET))

        def _parse_preset_version_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                preset_version_id_type_0 = UUID(data)

                return preset_version_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        preset_version_id = _parse_preset_version_id(d.pop("preset_version_id", UNSET))

        conversation_view = cls(
            archived=archived,
            created_at=created_at,
            id=id,
            title=title,
            updated_at=updated_at,
            active_leaf_id=active_leaf_id,
            plugin_preset=plugin_preset,
            preset_version_id=preset_version_id,
        )

        conversation_view.additional_properties = d
        return conversation_view

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
