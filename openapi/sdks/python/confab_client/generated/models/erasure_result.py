from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ErasureResult")


@_attrs_define
class ErasureResult:
    """What an erasure removed, in counts (the audit log records the same, never content).

    Attributes:
        api_tokens (int): API tokens deleted.
        conversations (int): Conversations deleted (with their messages, search documents and stream copies).
        conversations_kept_by_hold (int): Conversations a legal hold keeps.
        files (int): Uploaded files deleted (those a held conversation's messages carry are kept).
        idempotency_keys (int): Idempotency keys deleted.
        identity_links (int): The tenant's directory records of the user deleted: single sign-on identities (issuer and
            subject) and SCIM records (user name, external id, attributes; group memberships with them).
        messages (int): Messages deleted.
        presets (int): Personal presets deleted.
        sessions (int): Browser sessions ended.
        share_views (int): Views of shares by the user, deleted.
        shares (int): Shares deleted.
        user_anonymised (bool): Whether the user record was anonymised (no e-mail or name left). `false` when the user
            also belongs to another tenant: only their membership here is disabled.
    """

    api_tokens: int
    conversations: int
    conversations_kept_by_hold: int
    files: int
    idempotency_keys: int
    identity_links: int
    messages: int
    presets: int
    sessions: int
    share_views: int
    shares: int
    user_anonymised: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        api_tokens = self.api_tokens

        conversations = self.conversations

        conversations_kept_by_hold = self.conversations_kept_by_hold

        files = self.files

        idempotency_keys = self.idempotency_keys

        identity_links = self.identity_links

        messages = self.messages

        presets = self.presets

        sessions = self.sessions

        share_views = self.share_views

        shares = self.shares

        user_anonymised = self.user_anonymised

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "api_tokens": api_tokens,
                "conversations": conversations,
                "conversations_kept_by_hold": conversations_kept_by_hold,
                "files": files,
                "idempotency_keys": idempotency_keys,
                "identity_links": identity_links,
                "messages": messages,
                "presets": presets,
                "sessions": sessions,
                "share_views": share_views,
                "shares": shares,
                "user_anonymised": user_anonymised,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        api_tokens = d.pop("api_tokens")

        conversations = d.pop("conversations")

        conversations_kept_by_hold = d.pop("conversations_kept_by_hold")

        files = d.pop("files")

        idempotency_keys = d.pop("idempotency_keys")

        identity_links = d.pop("identity_links")

        messages = d.pop("messages")

        presets = d.pop("presets")

        sessions = d.pop("sessions")

        share_views = d.pop("share_views")

        shares = d.pop("shares")

        user_anonymised = d.pop("user_anonymised")

        erasure_result = cls(
            api_tokens=api_tokens,
            conversations=conversations,
            conversations_kept_by_hold=conversations_kept_by_hold,
            files=files,
            idempotency_keys=idempotency_keys,
            identity_links=identity_links,
            messages=messages,
            presets=presets,
            sessions=sessions,
            share_views=share_views,
            shares=shares,
            user_anonymised=user_anonymised,
        )

        erasure_result.additional_properties = d
        return erasure_result

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
