from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.quota_period import QuotaPeriod
from ..models.quota_subject import QuotaSubject
from ..types import UNSET, Unset

T = TypeVar("T", bound="QuotaView")


@_attrs_define
class QuotaView:
    """A token quota: a budget per period for one user or the whole tenant.

    Attributes:
        id (UUID): The quota's id.
        period (QuotaPeriod): A quota period, in UTC: a calendar `day` or `month`.
        subject (QuotaSubject): Whose tokens a quota counts: one `user`'s, or the whole `tenant`'s.
        token_limit (int): Input plus output tokens allowed per period.
        updated_at (datetime.datetime): When it was last set.
        user_id (None | Unset | UUID): For a `user` quota: the user; null for a `tenant` quota.
    """

    id: UUID
    period: QuotaPeriod
    subject: QuotaSubject
    token_limit: int
    updated_at: datetime.datetime
    user_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        period = self.period.value

        subject = self.subject.value

        token_limit = self.token_limit

        updated_at = self.updated_at.isoformat()

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
                "id": id,
                "period": period,
                "subject": subject,
                "token_limit": token_limit,
                "updated_at": updated_at,
            }
        )
        if user_id is not UNSET:
            field_dict["user_id"] = user_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        period = QuotaPeriod(d.pop("period"))

        subject = QuotaSubject(d.pop("subject"))

        token_limit = d.pop("token_limit")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

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

        quota_view = cls(
            id=id,
            period=period,
            subject=subject,
            token_limit=token_limit,
            updated_at=updated_at,
            user_id=user_id,
        )

        quota_view.additional_properties = d
        return quota_view

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
