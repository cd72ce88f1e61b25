from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.audit_sink_kind_view import AuditSinkKindView
from ..types import UNSET, Unset

T = TypeVar("T", bound="AuditSinkView")


@_attrs_define
class AuditSinkView:
    """A sink and how its delivery goes.

    Attributes:
        attempts (int): Failed attempts since the last success.
        backlog (int): Entries of the sink's scope waiting to be delivered.
        created_at (datetime.datetime): When the sink was created.
        delivered_seq (int): The `seq` of the last audit entry delivered.
        enabled (bool): Whether delivery runs.
        has_secret (bool): Whether a signing secret is stored (webhooks); the secret itself is never shown.
        id (UUID): The sink's id (sent to webhooks as `X-Confab-Sink`).
        kind (AuditSinkKindView): How a sink receives entries.
        name (str): Its name for people.
        status (str): `ok`, `failing` (the last attempt failed; retrying with backoff) or `disabled`.
        updated_at (datetime.datetime): When it was last changed.
        url (str): Where entries go.
        last_error (None | str | Unset): Why the last attempt failed; null after a success.
        last_error_at (datetime.datetime | None | Unset): When an attempt last failed.
        last_success_at (datetime.datetime | None | Unset): When a batch was last delivered.
        next_attempt_at (datetime.datetime | None | Unset): When the next retry is due; null when not waiting to retry.
    """

    attempts: int
    backlog: int
    created_at: datetime.datetime
    delivered_seq: int
    enabled: bool
    has_secret: bool
    id: UUID
    kind: AuditSinkKindView
    name: str
    status: str
    updated_at: datetime.datetime
    url: str
    last_error: None | str | Unset = UNSET
    last_error_at: datetime.datetime | None | Unset = UNSET
    last_success_at: datetime.datetime | None | Unset = UNSET
    next_attempt_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempts = self.attempts

        backlog = self.backlog

        created_at = self.created_at.isoformat()

        delivered_seq = self.delivered_seq

        enabled = self.enabled

        has_secret = self.has_secret

        id = str(self.id)

        kind = self.kind.value

        name = self.name

        status = self.status

        updated_at = self.updated_at.isoformat()

        url = self.url

        last_error: None | str | Unset
        if isinstance(self.last_error, Unset):
            last_error = UNSET
        else:
            last_error = self.last_error

        last_error_at: None | str | Unset
        if isinstance(self.last_error_at, Unset):
            last_error_at = UNSET
        elif isinstance(self.last_error_at, datetime.datetime):
            last_error_at = self.last_error_at.isoformat()
        else:
            last_error_at = self.last_error_at

        last_success_at: None | str | Unset
        if isinstance(self.last_success_at, Unset):
            last_success_at = UNSET
        elif isinstance(self.last_success_at, datetime.datetime):
            last_success_at = self.last_success_at.isoformat()
        else:
            last_success_at = self.last_success_at

        next_attempt_at: None | str | Unset
        if isinstance(self.next_attempt_at, Unset):
            next_attempt_at = UNSET
        elif isinstance(self.next_attempt_at, datetime.datetime):
            next_attempt_at = self.next_attempt_at.isoformat()
        else:
            next_attempt_at = self.next_attempt_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "backlog": backlog,
                "created_at": created_at,
                "delivered_seq": delivered_seq,
                "enabled": enabled,
                "has_secret": has_secret,
                "id": id,
                "kind": kind,
                "name": name,
                "status": status,
                "updated_at": updated_at,
                "url": url,
            }
        )
        if last_error is not UNSET:
            field_dict["last_error"] = last_error
        if last_error_at is not UNSET:
            field_dict["last_error_at"] = last_error_at
        if last_success_at is not UNSET:
            field_dict["last_success_at"] = last_success_at
        if next_attempt_at is not UNSET:
            field_dict["next_attempt_at"] = next_attempt_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        attempts = d.pop("attempts")

        backlog = d.pop("backlog")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        delivered_seq = d.pop("delivered_seq")

        enabled = d.pop("enabled")

        has_secret = d.pop("has_secret")

        id = UUID(d.pop("id"))

        kind = AuditSinkKindView(d.pop("kind"))

        name = d.pop("name")

        status = d.pop("status")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        url = d.pop("url")

        def _parse_last_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_error = _parse_last_error(d.pop("last_error", UNSET))

        def _parse_last_error_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_error_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_error_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_error_at = _parse_last_error_at(d.pop("last_error_at", UNSET))

        def _parse_last_success_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_success_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_success_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_success_at = _parse_last_success_at(d.pop("last_success_at", UNSET))

        def _parse_next_attempt_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_attempt_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_attempt_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        next_attempt_at = _parse_next_attempt_at(d.pop("next_attempt_at", UNSET))

        audit_sink_view = cls(
            attempts=attempts,
            backlog=backlog,
            created_at=created_at,
            delivered_seq=delivered_seq,
            enabled=enabled,
            has_secret=has_secret,
            id=id,
            kind=kind,
            name=name,
            status=status,
            updated_at=updated_at,
            url=url,
            last_error=last_error,
            last_error_at=last_error_at,
            last_success_at=last_success_at,
            next_attempt_at=next_attempt_at,
        )

        audit_sink_view.additional_properties = d
        return audit_sink_view

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
