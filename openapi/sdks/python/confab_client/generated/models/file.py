from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.file_kind import FileKind
from ..types import UNSET, Unset

T = TypeVar("T", bound="File")


@_attrs_define
class File:
    """An uploaded file.

    Attributes:
        created_at (datetime.datetime): When it was uploaded.
        id (UUID): The file's id: attach it with `file_ids` when sending a message.
        kind (FileKind): What a file is to the prompt.
        media_type (str): What the content is, as sniffed from its bytes (never taken from the name or the upload's
            header). HTML is never `text/html`.
        name (str): The name it was uploaded under, made safe (no folders, no control characters).
        sha256 (str): The SHA-256 of the content, in hex.
        size_bytes (int): Its size in bytes.
        text_truncated (bool): The extracted text was longer than Confab keeps; the prompt gets its beginning, with a
            note.
        height (int | None | Unset): An image's height in pixels.
        text_chars (int | None | Unset): Characters of text extracted (text files and documents).
        width (int | None | Unset): An image's width in pixels.
    """

    created_at: datetime.datetime
    id: UUID
    kind: FileKind
    media_type: str
    name: str
    sha256: str
    size_bytes: int
    text_truncated: bool
    height: int | None | Unset = UNSET
    text_chars: int | None | Unset = UNSET
    width: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        id = str(self.id)

        kind = self.kind.value

        media_type = self.media_type

        name = self.name

        sha256 = self.sha256

        size_bytes = self.size_bytes

        text_truncated = self.text_truncated

        height: int | None | Unset
        if isinstance(self.height, Unset):
            height = UNSET
        else:
            height = self.height

        text_chars: int | None | Unset
        if isinstance(self.text_chars, Unset):
            text_chars = UNSET
        else:
            text_chars = self.text_chars

        width: int | None | Unset
        if isinstance(self.width, Unset):
            width = UNSET
        else:
            width = self.width

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "id": id,
                "kind": kind,
                "media_type": media_type,
                "name": name,
                "sha256": sha256,
                "size_bytes": size_bytes,
                "text_truncated": text_truncated,
            }
        )
        if height is not UNSET:
            field_dict["height"] = height
        if text_chars is not UNSET:
            field_dict["text_chars"] = text_chars
        if width is not UNSET:
            field_dict["width"] = width

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        kind = FileKind(d.pop("kind"))

        media_type = d.pop("media_type")

        name = d.pop("name")

        sha256 = d.pop("sha256")

        size_bytes = d.pop("size_bytes")

        text_truncated = d.pop("text_truncated")

        def _parse_height(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        height = _parse_height(d.pop("height", UNSET))

        def _parse_text_chars(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        text_chars = _parse_text_chars(d.pop("text_chars", UNSET))

        def _parse_width(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        width = _parse_width(d.pop("width", UNSET))

        file = cls(
            created_at=created_at,
            id=id,
            kind=kind,
            media_type=media_type,
            name=name,
            sha256=sha256,
            size_bytes=size_bytes,
            text_truncated=text_truncated,
            height=height,
            text_chars=text_chars,
            width=width,
        )

        file.additional_properties = d
        return file

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
