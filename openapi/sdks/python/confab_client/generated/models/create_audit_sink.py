from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.audit_sink_kind_view import AuditSinkKindView
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateAuditSink")


@_attrs_define
class CreateAuditSink:
    """A new sink.

    Attributes:
        kind (AuditSinkKindView): How a sink receives entries.
        name (str): Its name for people (1–100 characters).
        url (str): `https://…` for a webhook, `tls://host:port` for syslog. Tenant sinks must point at public
            addresses.
        enabled (bool | None | Unset): Whether delivery starts at once (default true). Default: True.
        from_seq (int | None | Unset): Deliver the scope's entries from this `seq` on (e.g. 1: the whole log); absent:
            from the
            sink's own creation entry on.
        secret (None | str | Unset): The webhook's signing secret (16–256 characters; required for webhooks, refused for
            syslog). Stored encrypted; never shown again.
    """

    kind: AuditSinkKindView
    name: str
    url: str
    enabled: bool | None | Unset = True
    from_seq: int | None | Unset = UNSET
    secret: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        name = self.name

        url = self.url

        enabled: bool | None | Unset
        if isinstance(self.enabled, Unset):
            enabled = UNSET
        else:
            enabled = self.enabled

        from_seq: int | None | Unset
        if isinstance(self.from_seq, Unset):
            from_seq = UNSET
        else:
            from_seq = self.from_seq

        secret: None | str | Unset
        if isinstance(self.secret, Unset):
            secret = UNSET
        else:
            secret = self.secret

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "kind": kind,
                "name": name,
                "url": url,
            }
        )
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if from_seq is not UNSET:
            field_dict["from_seq"] = from_seq
        if secret is not UNSET:
            field_dict["secret"] = secret

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        kind = AuditSinkKindView(d.pop("kind"))

        name = d.pop("name")

        url = d.pop("url")

        def _parse_enabled(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        enabled = _parse_enabled(d.pop("enabled", UNSET))

        def _parse_from_seq(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        from_seq = _parse_from_seq(d.pop("from_seq", UNSET))

        def _parse_secret(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        secret = _parse_secret(d.pop("secret", UNSET))

        create_audit_sink = cls(
            kind=kind,
            name=name,
            url=url,
            enabled=enabled,
            from_seq=from_seq,
            secret=secret,
        )

        create_audit_sink.additional_properties = d
        return create_audit_sink

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
