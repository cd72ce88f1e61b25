from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="StorageUsage")


@_attrs_define
class StorageUsage:
    """What files take of the storage allowed.

    Attributes:
        bytes_ (int): Bytes the caller's files take.
        files (int): The caller's files.
        max_file_bytes (int): The largest file one upload may carry, in bytes.
        max_files_per_message (int): The most files one message may carry.
        quota_bytes (int | None | Unset): Bytes the caller may store in all; null when unlimited.
    """

    bytes_: int
    files: int
    max_file_bytes: int
    max_files_per_message: int
    quota_bytes: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        bytes_ = self.bytes_

        files = self.files

        max_file_bytes = self.max_file_bytes

        max_files_per_message = self.max_files_per_message

        quota_bytes: int | None | Unset
        if isinstance(self.quota_bytes, Unset):
            quota_bytes = UNSET
        else:
            quota_bytes = self.quota_bytes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "bytes": bytes_,
                "files": files,
                "max_file_bytes": max_file_bytes,
                "max_files_per_message": max_files_per_message,
            }
        )
        if quota_bytes is not UNSET:
            field_dict["quota_bytes"] = quota_bytes

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        bytes_ = d.pop("bytes")

        files = d.pop("files")

        max_file_bytes = d.pop("max_file_bytes")

        max_files_per_message = d.pop("max_files_per_message")

        def _parse_quota_bytes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        quota_bytes = _parse_quota_bytes(d.pop("quota_bytes", UNSET))

        storage_usage = cls(
            bytes_=bytes_,
            files=files,
            max_file_bytes=max_file_bytes,
            max_files_per_message=max_files_per_message,
            quota_bytes=quota_bytes,
        )

        storage_usage.additional_properties = d
        return storage_usage

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
