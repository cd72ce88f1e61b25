from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PresetVersionView")


@_attrs_define
class PresetVersionView:
    """One immutable version of a preset.

    Attributes:
        id (UUID):
        preset_id (UUID):
        version (int): 1 for the first version, one more for each edit.
        name (str):
        description (str):
        system_prompt (str):
        created_at (datetime.datetime):
        model (None | str | Unset): The model turns use when the sender names none; the tenant's default when absent.
        temperature (float | None | Unset):
        max_tokens (int | None | Unset): Caps the answer length (never above the model's own maximum).
        created_by (None | Unset | UUID):
    """

    id: UUID
    preset_id: UUID
    version: int
    name: str
    description: str
    system_prompt: str
    created_at: datetime.datetime
    model: None | str | Unset = UNSET
    temperature: float | None | Unset = UNSET
    max_tokens: int | None | Unset = UNSET
    created_by: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        preset_id = str(self.preset_id)

        version = self.version

        name = self.name

        description = self.description

        system_prompt = self.system_prompt

        created_at = self.created_at.isoformat()

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

        max_tokens: int | None | Unset
        if isinstance(self.max_tokens, Unset):
            max_tokens = UNSET
        else:
            max_tokens = self.max_tokens

        created_by: None | str | Unset
        if isinstance(self.created_by, Unset):
            created_by = UNSET
        elif isinstance(self.created_by, UUID):
            created_by = str(self.created_by)
        else:
            created_by = self.created_by

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "preset_id": preset_id,
                "version": version,
                "name": name,
                "description": description,
                "system_prompt": system_prompt,
                "created_at": created_at,
            }
        )
        if model is not UNSET:
            field_dict["model"] = model
        if temperature is not UNSET:
            field_dict["temperature"] = temperature
        if max_tokens is not UNSET:
            field_dict["max_tokens"] = max_tokens
        if created_by is not UNSET:
            field_dict["created_by"] = created_by

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        preset_id = UUID(d.pop("preset_id"))

        version = d.pop("version")

        name = d.pop("name")

        description = d.pop("description")

        system_prompt = d.pop("system_prompt")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

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

        def _parse_max_tokens(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_tokens = _parse_max_tokens(d.pop("max_tokens", UNSET))

        def _parse_created_by(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                created_by_type_0 = UUID(data)

                return created_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        created_by = _parse_created_by(d.pop("created_by", UNSET))

        preset_version_view = cls(
            id=id,
            preset_id=preset_id,
            version=version,
            name=name,
            description=description,
            system_prompt=system_prompt,
            created_at=created_at,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            created_by=created_by,
        )

        preset_version_view.additional_properties = d
        return preset_version_view

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
