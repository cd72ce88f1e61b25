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
    """A preset and its latest version.

    Attributes:
        created_at (datetime.datetime): When it was created.
        current (PresetVersionView): One immutable version of a preset.
        deleted (bool): Deleted presets are kept for the conversations pinned to them.
        id (UUID): The preset's id.
        source (PresetSource): Who owns a preset.
        updated_at (datetime.datetime): When its latest version was saved.
    """

    created_at: datetime.datetime
    current: PresetVersionView
    deleted: bool
    id: UUID
    source: PresetSource
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        current = self.current.to_dict()

        deleted = self.deleted

        id = str(self.id)

        source = self.source.value

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "current": current,
                "deleted": deleted,
                "id": id,
                "source": source,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.preset_version_view import PresetVersionView

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        current = PresetVersionView.from_dict(d.pop("current"))

        deleted = d.pop("deleted")

        id = UUID(d.pop("id"))

        source = PresetSource(d.pop("source"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        preset_view = cls(
            created_at=created_at,
            current=current,
            deleted=deleted,
            id=id,
            source=source,
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
