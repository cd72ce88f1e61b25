from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PinnedPreset")


@_attrs_define
class PinnedPreset:
    """A conversation's preset version, briefly.

    Attributes:
        preset_id (UUID):
        version_id (UUID):
        version (int):
        name (str):
        model (None | str | Unset):
    """

    preset_id: UUID
    version_id: UUID
    version: int
    name: str
    model: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        preset_id = str(self.preset_id)

        version_id = str(self.version_id)

        version = self.version

        name = self.name

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "preset_id": preset_id,
                "version_id": version_id,
                "version": version,
                "name": name,
            }
        )
        if model is not UNSET:
            field_dict["model"] = model

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        preset_id = UUID(d.pop("preset_id"))

        version_id = UUID(d.pop("version_id"))

        version = d.pop("version")

        name = d.pop("name")

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

        pinned_preset = cls(
            preset_id=preset_id,
            version_id=version_id,
            version=version,
            name=name,
            model=model,
        )

        pinned_preset.additional_properties = d
        return pinned_preset

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
