from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.file_kind import FileKind

T = TypeVar("T", bound="SharedFileView")


@_attrs_define
class SharedFileView:
    """A file a shared message carried.

    Attributes:
        kind (FileKind): What a file is to the prompt.
        media_type (str): Its sniffed media type.
        name (str): Its name when it was attached.
        size_bytes (int): Its size in bytes.
    """

    kind: FileKind
    media_type: str
    name: str
    size_bytes: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        media_type = self.media_type

        name = self.name

        size_bytes = self.size_bytes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "kind": kind,
                "media_type": media_type,
                "name": name,
                "size_bytes": size_bytes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        kind = FileKind(d.pop("kind"))

        media_type = d.pop("media_type")

        name = d.pop("name")

        size_bytes = d.pop("size_bytes")

        shared_file_view = cls(
            kind=kind,
            media_type=media_type,
            name=name,
            size_bytes=size_bytes,
        )

        shared_file_view.additional_properties = d
        return shared_file_view

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
