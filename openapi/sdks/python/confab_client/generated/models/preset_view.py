from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.preset_source import PresetSource

if TYPE_CHECKING:
    from ..models.preset_version_view import PresetVersionView


T = TypeVar("T", bound="PresetView")


@_attrs_define
class PresetView:
    """
    Attributes:
        id (UUID):
        source (PresetSource):
        deleted (bool): Deleted presets are kept for the conversations pinned to them.
        current (PresetVersionView): One immutable version of a preset.
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
    """

    id: UUID
    source: PresetSource
    deleted: bool
    current: PresetVersionView
    created_at: datetime.datetime
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        source = self.source.value

        deleted = self.deleted

        current = self.current.to_dict()

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "source": source,
                "deleted": deleted,
                "current": current,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.preset_version_view import PresetVersionView

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        source = PresetSource(d.pop("source"))

        deleted = d.pop("deleted")

        current = PresetVersionView.from_dict(d.pop("current"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        preset_view = cls(
            id=id,
            source=source,
            deleted=deleted,
            current=current,
            created_at=created_at,
            updated_at=updated_at,
        )

        preset_view.additional_properties = d
        return preset_view

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
