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
        created_at (datetime.datetime): When this version was saved.
        description (str): What it is for.
        id (UUID): The version's id.
        name (str): The preset's name at this version.
        preset_id (UUID): The preset's id.
        system_prompt (str): The system prompt.
        version (int): 1 for the first version, one more for each edit.
        created_by (None | Unset | UUID): The user who saved this version; null when that user is gone.
        max_tokens (int | None | Unset): Caps the answer length (never above the model's own maximum).
        model (None | str | Unset): The model turns use when the sender names none; the tenant's default when absent.
        temperature (float | None | Unset): Sampling temperature; null for the provider's default.
    """

    created_at: datetime.datetime
    description: str
    id: UUID
    name: str
    preset_id: UUID
    system_prompt: str
    version: int
    created_by: None | Unset | UUID = UNSET
    max_tokens: int | None | Unset = UNSET
    model: None | str | Unset = UNSET
    temperature: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        description = self.description

        id = str(self.id)

        name = self.name

        preset_id = str(self.preset_id)

        system_prompt = self.system_prompt

        version = self.version

        created_by: None | str | Unset
        if isinstance(self.created_by, Unset):
            created_by = UNSET
        elif isinstance(self.created_by, UUID):
            created_by = str(self.created_by)
        else:
            created_by = self.created_by

        max_tokens: int | None | Unset
        if isinstance(self.max_tokens, Unset):
            max_tokens = UNSET
        else:
            max_tokens = self.max_tokens

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
                "created_at": created_at,
                "description": description,
                "id": id,
                "name": name,
                "preset_id": preset_id,
                "system_prompt": system_prompt,
                "version": version,
            }
        )
        if created_by is not UNSET:
            field_dict["created_by"] = created_by
        if max_tokens is not UNSET:
            field_dict["max_tokens"] = max_tokens
        if model is not UNSET:
            field_dict["model"] = model
        if temperature is not UNSET:
            field_dict["temperature"] = temperature

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        description = d.pop("description")

        id = UUID(d.pop("id"))

        name = d.pop("name")

        preset_id = UUID(d.pop("preset_id"))

        system_prompt = d.pop("system_prompt")

        version = d.pop("version")

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

        def _parse_max_tokens(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_tokens = _parse_max_tokens(d.pop("max_tokens", UNSET))

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

        preset_version_view = cls(
            created_at=created_at,
            description=description,
            id=id,
            name=name,
            preset_id=preset_id,
            system_prompt=system_prompt,
            version=version,
            created_by=created_by,
            max_tokens=max_tokens,
            model=model,
            temperature=temperature,
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
