from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="UploadPlugin")


@_attrs_define
class UploadPlugin:
    """A plugin version to upload: its manifest and WebAssembly component.

    Attributes:
        component_base64 (str): The WebAssembly component, base64.
        manifest (Any): The manifest: `name`, `version` (semver), `description`, `hooks` (`presets`,
            `transform_request`, `transform_response`), `config_schema`, `failure_policy`.
    """

    component_base64: str
    manifest: Any
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        component_base64 = self.component_base64

        manifest = self.manifest

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "component_base64": component_base64,
                "manifest": manifest,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        component_base64 = d.pop("component_base64")

        manifest = d.pop("manifest")

        upload_plugin = cls(
            component_base64=component_base64,
            manifest=manifest,
        )

        upload_plugin.additional_properties = d
        return upload_plugin

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
