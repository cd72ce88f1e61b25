from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ChoiceOptionInput")


@_attrs_define
class ChoiceOptionInput:
    """One answer of a send with choices: its own model or preset version. Absent fields fall back
    to the request's `model` and the conversation's pinned preset.

        Attributes:
            model (None | str | Unset): A model id from `GET /v1/models`.
            preset_version_id (None | Unset | UUID): A preset version (`GET /v1/presets/{id}/versions`) whose system prompt,
                sampling, output
                limit and model this answer uses instead of the conversation's.
    """

    model: None | str | Unset = UNSET
    preset_version_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        preset_version_id: None | str | Unset
        if isinstance(self.preset_version_id, Unset):
            preset_version_id = UNSET
        elif isinstance(self.preset_version_id, UUID):
            preset_version_id = str(self.preset_version_id)
        else:
            preset_version_id = self.preset_version_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if model is not UNSET:
            field_dict["model"] = model
        if preset_version_id is not UNSET:
            field_dict["preset_version_id"] = preset_version_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

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

        choice_option_input = cls(
            model=model,
            preset_version_id=preset_version_id,
        )

        choice_option_input.additional_properties = d
        return choice_option_input

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
