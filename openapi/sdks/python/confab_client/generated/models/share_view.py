from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.share_status import ShareStatus
from ..models.share_visibility import ShareVisibility
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.share_link import ShareLink


T = TypeVar("T", bound="ShareView")


@_attrs_define
class ShareView:
    """A share snapshot: an immutable copy of a conversation branch and who may read it.

    Attributes:
        created_at (datetime.datetime): When it was shared.
        has_link (bool): Whether it has a secret link (`link` visibility).
        id (UUID): The share's id.
        owner_id (UUID): The user who shared it.
        status (ShareStatus): A share's state: `active`, `revoked` by its owner or an admin, or `expired`.
        title (str): Its title.
        visibility (ShareVisibility): Who may read a share snapshot.
        expires_at (datetime.datetime | None | Unset): When it stops being readable; null for never.
        link (None | ShareLink | Unset): A link share's link: in the response that creates it and, for its owner, while
            the share
            is live and the installation can recover it (a master key is configured). Otherwise only
            `has_link`.
        message_count (int | None | Unset): Only on a single share.
        revoked_at (datetime.datetime | None | Unset): When it was revoked; null while not revoked.
        source_conversation_id (None | Unset | UUID): The conversation it was copied from (which may since have changed
            or been deleted).
        user_ids (list[UUID] | None | Unset): With `users` visibility: who may read it. Only on a single share.
        view_count (int | None | Unset): Only on a single share.
    """

    created_at: datetime.datetime
    has_link: bool
    id: UUID
    owner_id: UUID
    status: ShareStatus
    title: str
    visibility: ShareVisibility
    expires_at: datetime.datetime | None | Unset = UNSET
    link: None | ShareLink | Unset = UNSET
    message_count: int | None | Unset = UNSET
    revoked_at: datetime.datetime | None | Unset = UNSET
    source_conversation_id: None | Unset | UUID = UNSET
    user_ids: list[UUID] | None | Unset = UNSET
    view_count: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.share_link import ShareLink

        created_at = self.created_at.isoformat()

        has_link = self.has_link

        id = str(self.id)

        owner_id = str(self.owner_id)

        status = self.status.value

        title = self.title

        visibility = self.visibility.value

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        elif isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        link: dict[str, Any] | None | Unset
        if isinstance(self.link, Unset):
            link = UNSET
        elif isinstance(self.link, ShareLink):
            link = self.link.to_dict()
        else:
            link = self.link

        message_count: int | None | Unset
        if isinstance(self.message_count, Unset):
            message_count = UNSET
        else:
            message_count = self.message_count

        revoked_at: None | str | Unset
        if isinstance(self.revoked_at, Unset):
            revoked_at = UNSET
        elif isinstance(self.revoked_at, datetime.datetime):
            revoked_at = self.revoked_at.isoformat()
        else:
            revoked_at = self.revoked_at

        source_conversation_id: None | str | Unset
        if isinstance(self.source_conversation_id, Unset):
            source_conversation_id = UNSET
        elif isinstance(self.source_conversation_id, UUID):
            source_conversation_id = str(self.source_conversation_id)
        else:
            source_conversation_id = self.source_conversation_id

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

        view_count: int | None | Unset
        if isinstance(self.view_count, Unset):
            view_count = UNSET
        else:
            view_count = self.view_count

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "has_link": has_link,
                "id": id,
                "owner_id": owner_id,
                "status": status,
                "title": title,
                "visibility": visibility,
            }
        )
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if link is not UNSET:
            field_dict["link"] = link
        if message_count is not UNSET:
            field_dict["message_count"] = message_count
        if revoked_at is not UNSET:
            field_dict["revoked_at"] = revoked_at
        if source_conversation_id is not UNSET:
            field_dict["source_conversation_id"] = source_conversation_id
        if user_ids is not UNSET:
            field_dict["user_ids"] = user_ids
        if view_count is not UNSET:
            field_dict["view_count"] = view_count

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.share_link import ShareLink

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        has_link = d.pop("has_link")

        id = UUID(d.pop("id"))

        owner_id = UUID(d.pop("owner_id"))

        status = ShareStatus(d.pop("status"))

        title = d.pop("title")

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

        def _parse_link(data: object) -> None | ShareLink | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                link_type_1 = ShareLink.from_dict(data)

                return link_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ShareLink | Unset, data)

        link = _parse_link(d.pop("link", UNSET))

        def _parse_message_count(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        message_count = _parse_message_count(d.pop("message_count", UNSET))

        def _parse_revoked_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                revoked_at_type_0 = datetime.datetime.fromisoformat(data)

                return revoked_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        revoked_at = _parse_revoked_at(d.pop("revoked_at", UNSET))

        def _parse_source_conversation_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                source_conversation_id_type_0 = UUID(data)

                return source_conversation_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        source_conversation_id = _parse_source_conversation_id(
            d.pop("source_conversation_id", UNSET)
        )

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

        def _parse_view_count(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        view_count = _parse_view_count(d.pop("view_count", UNSET))

        share_view = cls(
            created_at=created_at,
            has_link=has_link,
            id=id,
            owner_id=owner_id,
            status=status,
            title=title,
            visibility=visibility,
            expires_at=expires_at,
            link=link,
            message_count=message_count,
            revoked_at=revoked_at,
            source_conversation_id=source_conversation_id,
            user_ids=user_ids,
            view_count=view_count,
        )

        share_view.additional_properties = d
        return share_view

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
