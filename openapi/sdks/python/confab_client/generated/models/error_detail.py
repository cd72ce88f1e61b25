from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.error_code import ErrorCode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.quota_exceeded_detail import QuotaExceededDetail


T = TypeVar("T", bound="ErrorDetail")


@_attrs_define
class ErrorDetail:
    """The body of every error response.

    Attributes:
        code (ErrorCode): What went wrong, stable and machine-readable: clients branch on it. Each response status
            lists the codes it carries.
        message (str): A sentence for people.
        request_id (str): Quote it when reporting a problem; it is in the server's logs.
        field (None | str | Unset): The request field at fault, for `validation_failed` and `idempotency_key_reused`;
            absent
            otherwise.
        quota (None | QuotaExceededDetail | Unset): For `quota_exceeded`: the budget that refused the request; absent
            otherwise.
    """

    code: ErrorCode
    message: str
    request_id: str
    field: None | str | Unset = UNSET
    quota: None | QuotaExceededDetail | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.quota_exceeded_detail import QuotaExceededDetail

        code = self.code.value

        message = self.message

        request_id = self.request_id

        field: None | str | Unset
        if isinstance(self.field, Unset):
            field = UNSET
        else:
            field = self.field

        quota: dict[str, Any] | None | Unset
        if isinstance(self.quota, Unset):
            quota = UNSET
        elif isinstance(self.quota, QuotaExceededDetail):
            quota = self.quota.to_dict()
        else:
            quota = self.quota

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "message": message,
                "request_id": request_id,
            }
        )
        if field is not UNSET:
            field_dict["field"] = field
        if quota is not UNSET:
            field_dict["quota"] = quota

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.quota_exceeded_detail import QuotaExceededDetail

        d = dict(src_dict)
        code = ErrorCode(d.pop("code"))

        message = d.pop("message")

        request_id = d.pop("request_id")

        def _parse_field(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        field = _parse_field(d.pop("field", UNSET))

        def _parse_quota(data: object) -> None | QuotaExceededDetail | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                quota_type_1 = QuotaExceededDetail.from_dict(data)

                return quota_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | QuotaExceededDetail | Unset, data)

        quota = _parse_quota(d.pop("quota", UNSET))

        error_detail = cls(
            code=code,
            message=message,
            request_id=request_id,
            field=field,
            quota=quota,
        )

        error_detail.additional_properties = d
        return error_detail

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
