from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="MessageErrorView")


@_attrs_define
class MessageErrorView:
    """Why an answer failed or stopped early.

    Attributes:
        code (str): e.g. `upstream_rate_limited`, `upstream_timeout`, `upstream_stream_broken`, `interrupted`.
        message (str): A sentence for people.
        retry_after_secs (int | None | Unset): From the provider's `Retry-After`, when it gave one.
    """

    code: str
    message: str
    retry_after_secs: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        message = self.message

        retry_after_secs: int | None | Unset
        if isinstance(self.retry_after_secs, Unset):
            retry_after_secs = UNSET
        else:
            retry_after_secs = self.retry_after_secs

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "message": message,
            }
        )
        if retry_after_secs is not UNSET:
            field_dict["retry_after_secs"] = retry_after_secs

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        code = d.pop("code")

        message = d.pop("message")

        def _parse_retry_after_secs(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        retry_after_secs = _parse_retry_after_secs(d.pop("retry_after_secs", UNSET))

        message_error_view = cls(
            code=code,
            message=message,
            retry_after_secs=retry_after_secs,
        )

        message_error_view.additional_properties = d
        return message_error_view

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
