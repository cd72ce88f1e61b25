from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.quota_period import QuotaPeriod
from ..models.quota_subject import QuotaSubject
from ..types import UNSET, Unset

T = TypeVar("T", bound="SetQuota")


@_attrs_define
class SetQuota:
    """Sets (creates or replaces) a token quota.

    Attributes:
        period (QuotaPeriod): A quota period, in UTC: a calendar `day` or `month`.
        subject (QuotaSubject): Whose tokens a quota counts: one `user`'s, or the whole `tenant`'s.
        token_limit (int): Input plus output tokens per period; 0 stops all turns.
        user_id (None | Unset | UUID): Required for `user`, refused otherwise.
    """

    period: QuotaPeriod
    subject: QuotaSubject
    token_limit: int
    user_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        period = self.period.value

        subject = self.subject.value

        token_limit = self.token_limit

        user_id: None | str | Unset
        if isinstance(self.user_id, Unset):
            user_id = UNSET
        elif isinstance(self.user_id, UUID):
            user_id = str(self.user_id)
        else:
            user_id = self.user_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "period": period,
                "subject": subject,
                "token_limit": token_limit,
            }
        )
        if user_id is not UNSET:
            field_dict["user_id"] = user_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        period = QuotaPeriod(d.pop("period"))

        subject = QuotaSubject(d.pop("subject"))

        token_limit = d.pop("token_limit")

        def _parse_user_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                user_id_type_0 = UUID(data)

                return user_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        user_id = _parse_user_id(d.pop("user_id", UNSET))

        set_quota = cls(
            period=period,
            subject=subject,
            token_limit=token_limit,
            user_id=user_id,
        )

        set_quota.additional_properties = d
        return set_quota

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
