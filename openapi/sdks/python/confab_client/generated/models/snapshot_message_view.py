from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.message_role import MessageRole
from ..models.message_status import MessageStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.shared_file_view import SharedFileView


T = TypeVar("T", bound="SnapshotMessageView")


@_attrs_define
class SnapshotMessageView:
    """One message of a share snapshot, as it was when shared.

    Attributes:
        content (str): Its text (Markdown).
        created_at (datetime.datetime): When the original message was written.
        position (int): 0 for the first message of the branch.
        role (MessageRole): Who wrote a message.
        status (MessageStatus): The lifecycle state of a message: `queued` → `streaming` → `completed`, or `cancelled`
            (stopped
            by
            the user), `failed` (an error before any text) or `partial` (an error after some text; the text
            is kept and the answer can be continued).
        files (list[SharedFileView] | None | Unset): The files the message carried, by name (absent when none). Only
            names are shared: the
            files stay their owner's, and readers cannot open them.
        model (None | str | Unset): For answers: the model that wrote it; null for user messages.
    """

    content: str
    created_at: datetime.datetime
    position: int
    role: MessageRole
    status: MessageStatus
    files: list[SharedFileView] | None | Unset = UNSET
    model: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        content = self.content

        created_at = self.created_at.isoformat()

        position = self.position

        role = self.role.value

        status = self.status.value

        files: list[dict[str, Any]] | None | Unset
        if isinstance(self.files, Unset):
            files = UNSET
        elif isinstance(self.files, list):
            files = []
            for files_type_0_item_data in self.files:
                files_type_0_item = files_type_0_item_data.to_dict()
                files.append(files_type_0_item)

        else:
            files = self.files

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "content": content,
                "created_at": created_at,
                "position": position,
                "role": role,
                "status": status,
            }
        )
        if files is not UNSET:
            field_dict["files"] = files
        if model is not UNSET:
            field_dict["model"] = model

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.shared_file_view import SharedFileView

        d = dict(src_dict)
        content = d.pop("content")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        position = d.pop("position")

        role = MessageRole(d.pop("role"))

        status = MessageStatus(d.pop("status"))

        def _parse_files(data: object) -> list[SharedFileView] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                files_type_0 = []
                _files_type_0 = data
                for files_type_0_item_data in _files_type_0:
                    files_type_0_item = SharedFileView.from_dict(files_type_0_item_data)

                    files_type_0.append(files_type_0_item)

                return files_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[SharedFileView] | None | Unset, data)

        files = _parse_files(d.pop("files", UNSET))

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

        snapshot_message_view = cls(
            content=content,
            created_at=created_at,
            position=position,
            role=role,
            status=status,
            files=files,
            model=model,
        )

        snapshot_message_view.additional_properties = d
        return snapshot_message_view

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
