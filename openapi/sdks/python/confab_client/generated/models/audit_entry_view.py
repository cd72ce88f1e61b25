from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="AuditEntryView")


@_attrs_define
class AuditEntryView:
    """One entry of the hash-chained audit log: who did what to which object, with what outcome.

    Attributes:
        action (str): What happened, `<object>.<verb>`, e.g. `auth.login`, `conversation.deleted`.
        actor (str): The actor's e-mail address at the time, or `cli` for operator commands.
        created_at (datetime.datetime): When it happened (RFC 3339, UTC).
        details (Any): Action-specific facts (never message content or secrets).
        hash_ (str): SHA-256 over this entry and the previous entry's hash in its scope's chain (hex): the chain
            that makes tampering evident (docs/audit-verification.md).
        id (UUID): The entry's id.
        outcome (str): `success` or `failure`.
        seq (int): The entry's number: unique across the installation, increasing along its scope's hash chain
            (the chain position itself is in the `chain=true` export).
        actor_user_id (None | Unset | UUID): The user who acted; null for the system or an unknown sign-in.
        ip (None | str | Unset): The client's IP address; null for actions without a request (the CLI, background work).
        request_id (None | str | Unset): The request that caused it (matches the server's logs); null without a request.
        target_id (None | str | Unset): The id of the object acted on; null when none.
        target_type (None | str | Unset): The kind of object acted on, e.g. `user`, `conversation`; null when none.
        tenant_id (None | Unset | UUID): The tenant the action belongs to; null for installation-wide actions.
    """

    action: str
    actor: str
    created_at: datetime.datetime
    details: Any
    hash_: str
    id: UUID
    outcome: str
    seq: int
    actor_user_id: None | Unset | UUID = UNSET
    ip: None | str | Unset = UNSET
    request_id: None | str | Unset = UNSET
    target_id: None | str | Unset = UNSET
    target_type: None | str | Unset = UNSET
    tenant_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        action = self.action

        actor = self.actor

        created_at = self.created_at.isoformat()

        details = self.details

        hash_ = self.hash_

        id = str(self.id)

        outcome = self.outcome

        seq = self.seq

        actor_user_id: None | str | Unset
        if isinstance(self.actor_user_id, Unset):
            actor_user_id = UNSET
        elif isinstance(self.actor_user_id, UUID):
            actor_user_id = str(self.actor_user_id)
        else:
            actor_user_id = self.actor_user_id

        ip: None | str | Unset
        if isinstance(self.ip, Unset):
            ip = UNSET
        else:
            ip = self.ip

        request_id: None | str | Unset
        if isinstance(self.request_id, Unset):
            request_id = UNSET
        else:
            request_id = self.request_id

        target_id: None | str | Unset
        if isinstance(self.target_id, Unset):
            target_id = UNSET
        else:
            target_id = self.target_id

        target_type: None | str | Unset
        if isinstance(self.target_type, Unset):
            target_type = UNSET
        else:
            target_type = self.target_type

        tenant_id: None | str | Unset
        if isinstance(self.tenant_id, Unset):
            tenant_id = UNSET
        elif isinstance(self.tenant_id, UUID):
            tenant_id = str(self.tenant_id)
        else:
            tenant_id = self.tenant_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "actor": actor,
                "created_at": created_at,
                "details": details,
                "hash": hash_,
                "id": id,
                "outcome": outcome,
                "seq": seq,
            }
        )
        if actor_user_id is not UNSET:
            field_dict["actor_user_id"] = actor_user_id
        if ip is not UNSET:
            field_dict["ip"] = ip
        if request_id is not UNSET:
            field_dict["request_id"] = request_id
        if target_id is not UNSET:
            field_dict["target_id"] = target_id
        if target_type is not UNSET:
            field_dict["target_type"] = target_type
        if tenant_id is not UNSET:
            field_dict["tenant_id"] = tenant_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        action = d.pop("action")

        actor = d.pop("actor")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        details = d.pop("details")

        hash_ = d.pop("hash")

        id = UUID(d.pop("id"))

        outcome = d.pop("outcome")

        seq = d.pop("seq")

        def _parse_actor_user_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                actor_user_id_type_0 = UUID(data)

                return actor_user_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        actor_user_id = _parse_actor_user_id(d.pop("actor_user_id", UNSET))

        def _parse_ip(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ip = _parse_ip(d.pop("ip", UNSET))

        def _parse_request_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        request_id = _parse_request_id(d.pop("request_id", UNSET))

        def _parse_target_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        target_id = _parse_target_id(d.pop("target_id", UNSET))

        def _parse_target_type(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        target_type = _parse_target_type(d.pop("target_type", UNSET))

        def _parse_tenant_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                tenant_id_type_0 = UUID(data)

                return tenant_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        tenant_id = _parse_tenant_id(d.pop("tenant_id", UNSET))

        audit_entry_view = cls(
            action=action,
            actor=actor,
            created_at=created_at,
            details=details,
            hash_=hash_,
            id=id,
            outcome=outcome,
            seq=seq,
            actor_user_id=actor_user_id,
            ip=ip,
            request_id=request_id,
            target_id=target_id,
            target_type=target_type,
            tenant_id=tenant_id,
        )

        audit_entry_view.additional_properties = d
        return audit_entry_view

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
