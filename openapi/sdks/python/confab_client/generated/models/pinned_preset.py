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
        name (str): The preset's name at that version.
        preset_id (UUID): The preset's id.
        version (int): The pinned version's number (1, 2, …).
        version_id (UUID): The pinned version's id.
        model (None | str | Unset): The model that version uses; null to use the conversation's model.
    """

    name: str
    preset_id: UUID
    version: int
    version_id: UUID
    model: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        preset_id = str(self.preset_id)

        version = self.version

        version_id = str(self.version_id)

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "preset_id": preset_id,
                "version": version,
                "version_id": version_id,
            }
        )
        if model is not UNSET:
            field_dict["model"] = model

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        preset_id = UUID(d.pop("preset_id"))

        version = d.pop("version")

        version_id = UUID(d.pop("version_id"))

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

        pinned_preset = cls(
            name=name,
            preset_id=preset_id,
            version=version,
            version_id=version_id,
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
