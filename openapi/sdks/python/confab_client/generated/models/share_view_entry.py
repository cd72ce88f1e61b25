from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ShareViewEntry")


@_attrs_define
class ShareViewEntry:
    """One reading of a share snapshot.

    Attributes:
        id (UUID): The entry's id.
        viewed_at (datetime.datetime): When it was read.
        viewer_id (None | Unset | UUID): Null for an anonymous read through a link.
        viewer_name (None | str | Unset): The viewer's display name, when still a member of the tenant.
    """

    id: UUID
    viewed_at: datetime.datetime
    viewer_id: None | Unset | UUID = UNSET
    viewer_name: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        viewed_at = self.viewed_at.isoformat()

        viewer_id: None | str | Unset
        if isinstance(self.viewer_id, Unset):
            viewer_id = UNSET
        elif isinstance(self.viewer_id, UUID):
            viewer_id = str(self.viewer_id)
        else:
            viewer_id = self.viewer_id

        viewer_name: None | str | Unset
        if isinstance(self.viewer_name, Unset):
            viewer_name = UNSET
        else:
            viewer_name = self.viewer_name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "viewed_at": viewed_at,
            }
        )
        if viewer_id is not UNSET:
            field_dict["viewer_id"] = viewer_id
        if viewer_name is not UNSET:
            field_dict["viewer_name"] = viewer_name

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        viewed_at = datetime.datetime.fromisoformat(d.pop("viewed_at"))

        def _parse_viewer_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                viewer_id_type_0 = UUID(data)

                return viewer_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        viewer_id = _parse_viewer_id(d.pop("viewer_id", UNSET))

        def _parse_viewer_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        viewer_name = _parse_viewer_name(d.pop("viewer_name", UNSET))

        share_view_entry = cls(
            id=id,
            viewed_at=viewed_at,
            viewer_id=viewer_id,
            viewer_name=viewer_name,
        )

        share_view_entry.additional_properties = d
        return share_view_entry

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
