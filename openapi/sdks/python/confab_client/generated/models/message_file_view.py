from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.file_kind import FileKind
from ..types import UNSET, Unset

T = TypeVar("T", bound="MessageFileView")


@_attrs_define
class MessageFileView:
    """A file a message carries.

    Attributes:
        kind (FileKind): What a file is to the prompt.
        media_type (str): Its sniffed media type.
        name (str): Its name when it was attached.
        size_bytes (int): Its size in bytes.
        file_id (None | Unset | UUID): The file (`GET /v1/files/{id}`); null once its owner deleted it.
    """

    kind: FileKind
    media_type: str
    name: str
    size_bytes: int
    file_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        media_type = self.media_type

        name = self.name

        size_bytes = self.size_bytes

        file_id: None | str | Unset
        if isinstance(self.file_id, Unset):
            file_id = UNSET
        elif isinstance(self.file_id, UUID):
            file_id = str(self.file_id)
        else:
            file_id = self.file_id

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
        if file_id is not UNSET:
            field_dict["file_id"] = file_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        kind = FileKind(d.pop("kind"))

        media_type = d.pop("media_type")

        name = d.pop("name")

        size_bytes = d.pop("size_bytes")

        def _parse_file_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                file_id_type_0 = UUID(data)

                return file_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        file_id = _parse_file_id(d.pop("file_id", UNSET))

        message_file_view = cls(
            kind=kind,
            media_type=media_type,
            name=name,
            size_bytes=size_bytes,
            file_id=file_id,
        )

        message_file_view.additional_properties = d
        return message_file_view

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
