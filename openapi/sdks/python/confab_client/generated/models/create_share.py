from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.share_visibility import ShareVisibility
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateShare")


@_attrs_define
class CreateShare:
    """A share snapshot of a branch of one of the caller's conversations.

    Attributes:
        visibility (ShareVisibility): Who may read a share snapshot.
        expires_at (datetime.datetime | None | Unset): When it stops being readable; in the future, at most 365 days
            away. Never, when absent.
        leaf_message_id (None | Unset | UUID): The last message of the branch to share; the conversation's active branch
            when absent.
        title (None | str | Unset): The snapshot's title; the conversation's title when absent.
        user_emails (list[str] | None | Unset): With `users` visibility: the same, by e-mail address (combined with
            `user_ids`).
        user_ids (list[UUID] | None | Unset): With `users` visibility: the active members of the tenant who may read it.
    """

    visibility: ShareVisibility
    expires_at: datetime.datetime | None | Unset = UNSET
    leaf_message_id: None | Unset | UUID = UNSET
    title: None | str | Unset = UNSET
    user_emails: list[str] | None | Unset = UNSET
    user_ids: list[UUID] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        visibility = self.visibility.value

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        elif isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        leaf_message_id: None | str | Unset
        if isinstance(self.leaf_message_id, Unset):
            leaf_message_id = UNSET
        elif isinstance(self.leaf_message_id, UUID):
            leaf_message_id = str(self.leaf_message_id)
        else:
            leaf_message_id = self.leaf_message_id

        title: None | str | Unset
        if isinstance(self.title, Unset):
            title = UNSET
        else:
            title = self.title

        user_emails: list[str] | None | Unset
        if isinstance(self.user_emails, Unset):
            user_emails = UNSET
        elif isinstance(self.user_emails, list):
            user_emails = self.user_emails

        else:
            user_emails = self.user_emails

        user_ids: list[str] | None | Unset
        if isinstance(self.user_ids, Unset):
            user_ids = UNSET
        elif isinstance(self.user_ids, list):
            user_ids = []
            for user_ids_type_0_item_data in self.user_ids:
                user_ids_type_0_item = str(user_ids_type_0_item_data)
                user_ids.append(user_ids_type_0_item)

        else:
            user_ids = self.user_ids

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "visibility": visibility,
            }
        )
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if leaf_message_id is not UNSET:
            field_dict["leaf_message_id"] = leaf_message_id
        if title is not UNSET:
            field_dict["title"] = title
        if user_emails is not UNSET:
            field_dict["user_emails"] = user_emails
        if user_ids is not UNSET:
            field_dict["user_ids"] = user_ids

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        visibility = ShareVisibility(d.pop("visibility"))

        def _parse_expires_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        expires_at = _parse_expires_at(d.pop("expires_at", UNSET))

        def _parse_leaf_message_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                leaf_message_id_type_0 = UUID(data)

                return leaf_message_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        leaf_message_id = _parse_leaf_message_id(d.pop("leaf_message_id", UNSET))

        def _parse_title(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        title = _parse_title(d.pop("title", UNSET))

        def _parse_user_emails(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                user_emails_type_0 = cast(list[str], data)

                return user_emails_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        user_emails = _parse_user_emails(d.pop("user_emails", UNSET))

        def _parse_user_ids(data: object) -> list[UUID] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                user_ids_type_0 = []
                _user_ids_type_0 = data
                for user_ids_type_0_item_data in _user_ids_type_0:
                    user_ids_type_0_item = UUID(user_ids_type_0_item_data)

                    user_ids_type_0.append(user_ids_type_0_item)

                return user_ids_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[UUID] | None | Unset, data)

        user_ids = _parse_user_ids(d.pop("user_ids", UNSET))

        create_share = cls(
            visibility=visibility,
            expires_at=expires_at,
            leaf_message_id=leaf_message_id,
            title=title,
            user_emails=user_emails,
            user_ids=user_ids,
        )

        create_share.additional_properties = d
        return create_share

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
