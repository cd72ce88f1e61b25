from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.message_role import MessageRole
from ..models.message_status import MessageStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.context_view import ContextView
    from ..models.message_error_view import MessageErrorView
    from ..models.message_file_view import MessageFileView
    from ..models.plugin_run_view import PluginRunView
    from ..models.usage_view import UsageView


T = TypeVar("T", bound="MessageView")


@_attrs_define
class MessageView:
    """One message of a conversation, with its lifecycle state.

    Attributes:
        content (str): Its text (Markdown); for an answer still streaming, the text so far.
        conversation_id (UUID): The conversation it belongs to.
        created_at (datetime.datetime): When it was created (RFC 3339, UTC).
        id (UUID): The message's id.
        role (MessageRole): Who wrote a message.
        status (MessageStatus): The lifecycle state of a message: `queued` → `streaming` → `completed`, or `cancelled`
            (stopped
            by
            the user), `failed` (an error before any text) or `partial` (an error after some text; the text
            is kept and the answer can be continued).
        updated_at (datetime.datetime): When it last changed.
        context (ContextView | None | Unset): For assistant messages: what was sent upstream.
        error (MessageErrorView | None | Unset): For `failed` and `partial` answers: what went wrong; null otherwise.
        files (list[MessageFileView] | None | Unset): For user messages: the files it carries, in order (absent when
            none).
        model (None | str | Unset): For answers: the model that wrote it; null for user messages.
        parent_id (None | Unset | UUID): The message it answers or follows; null for the first message.
        plugins (list[PluginRunView] | None | Unset): For assistant messages: what each plugin of the tenant's chain did
            to the request
            (`unchanged`, `changed`, `rejected`, `failed_open`, `failed`), in chain order.
        sibling_ids (list[UUID] | None | Unset): Ids of this message and its siblings (same parent), oldest first — for
            ‹ 2 / 3 › navigation.
            Only in the branch view.
        usage (None | Unset | UsageView): For finished answers: tokens used; null until known.
    """

    content: str
    conversation_id: UUID
    created_at: datetime.datetime
    id: UUID
    role: MessageRole
    status: MessageStatus
    updated_at: datetime.datetime
    context: ContextView | None | Unset = UNSET
    error: MessageErrorView | None | Unset = UNSET
    files: list[MessageFileView] | None | Unset = UNSET
    model: None | str | Unset = UNSET
    parent_id: None | Unset | UUID = UNSET
    plugins: list[PluginRunView] | None | Unset = UNSET
    sibling_ids: list[UUID] | None | Unset = UNSET
    usage: None | Unset | UsageView = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.context_view import ContextView
        from ..models.message_error_view import MessageErrorView
        from ..models.usage_view import UsageView

        content = self.content

        conversation_id = str(self.conversation_id)

        created_at = self.created_at.isoformat()

        id = str(self.id)

        role = self.role.value

        status = self.status.value

        updated_at = self.updated_at.isoformat()

        context: dict[str, Any] | None | Unset
        if isinstance(self.context, Unset):
            context = UNSET
        elif isinstance(self.context, ContextView):
            context = self.context.to_dict()
        else:
            context = self.context

        error: dict[str, Any] | None | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        elif isinstance(self.error, MessageErrorView):
            error = self.error.to_dict()
        else:
            error = self.error

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

        parent_id: None | str | Unset
        if isinstance(self.parent_id, Unset):
            parent_id = UNSET
        elif isinstance(self.parent_id, UUID):
            parent_id = str(self.parent_id)
        else:
            parent_id = self.parent_id

        plugins: list[dict[str, Any]] | None | Unset
        if isinstance(self.plugins, Unset):
            plugins = UNSET
        elif isinstance(self.plugins, list):
            plugins = []
            for plugins_type_0_item_data in self.plugins:
                plugins_type_0_item = plugins_type_0_item_data.to_dict()
                plugins.append(plugins_type_0_item)

        else:
            plugins = self.plugins

        sibling_ids: list[str] | None | Unset
        if isinstance(self.sibling_ids, Unset):
            sibling_ids = UNSET
        elif isinstance(self.sibling_ids, list):
            sibling_ids = []
            for sibling_ids_type_0_item_data in self.sibling_ids:
                sibling_ids_type_0_item = str(sibling_ids_type_0_item_data)
                sibling_ids.append(sibling_ids_type_0_item)

        else:
            sibling_ids = self.sibling_ids

        usage: dict[str, Any] | None | Unset
        if isinstance(self.usage, Unset):
            usage = UNSET
        elif isinstance(self.usage, UsageView):
            usage = self.usage.to_dict()
        else:
            usage = self.usage

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "content": content,
                "conversation_id": conversation_id,
                "created_at": created_at,
                "id": id,
                "role": role,
                "status": status,
                "updated_at": updated_at,
            }
        )
        if context is not UNSET:
            field_dict["context"] = context
        if error is not UNSET:
            field_dict["error"] = error
        if files is not UNSET:
            field_dict["files"] = files
        if model is not UNSET:
            field_dict["model"] = model
        if parent_id is not UNSET:
            field_dict["parent_id"] = parent_id
        if plugins is not UNSET:
            field_dict["plugins"] = plugins
        if sibling_ids is not UNSET:
            field_dict["sibling_ids"] = sibling_ids
        if usage is not UNSET:
            field_dict["usage"] = usage

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.context_view import ContextView
        from ..models.message_error_view import MessageErrorView
        from ..models.message_file_view import MessageFileView
        from ..models.plugin_run_view import PluginRunView
        from ..models.usage_view import UsageView

        d = dict(src_dict)
        content = d.pop("content")

        conversation_id = UUID(d.pop("conversation_id"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        role = MessageRole(d.pop("role"))

        status = MessageStatus(d.pop("status"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_context(data: object) -> ContextView | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                context_type_1 = ContextView.from_dict(data)

                return context_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ContextView | None | Unset, data)

        context = _parse_context(d.pop("context", UNSET))

        def _parse_error(data: object) -> MessageErrorView | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                error_type_1 = MessageErrorView.from_dict(data)

                return error_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MessageErrorView | None | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_files(data: object) -> list[MessageFileView] | None | Unset:
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
                    files_type_0_item = MessageFileView.from_dict(
                        files_type_0_item_data
                    )

                    files_type_0.append(files_type_0_item)

                return files_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[MessageFileView] | None | Unset, data)

        files = _parse_files(d.pop("files", UNSET))

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

        def _parse_parent_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                parent_id_type_0 = UUID(data)

                return parent_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        parent_id = _parse_parent_id(d.pop("parent_id", UNSET))

        def _parse_plugins(data: object) -> list[PluginRunView] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                plugins_type_0 = []
                _plugins_type_0 = data
                for plugins_type_0_item_data in _plugins_type_0:
                    plugins_type_0_item = PluginRunView.from_dict(
                        plugins_type_0_item_data
                    )

                    plugins_type_0.append(plugins_type_0_item)

                return plugins_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[PluginRunView] | None | Unset, data)

        plugins = _parse_plugins(d.pop("plugins", UNSET))

        def _parse_sibling_ids(data: object) -> list[UUID] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                sibling_ids_type_0 = []
                _sibling_ids_type_0 = data
                for sibling_ids_type_0_item_data in _sibling_ids_type_0:
                    sibling_ids_type_0_item = UUID(sibling_ids_type_0_item_data)

                    sibling_ids_type_0.append(sibling_ids_type_0_item)

                return sibling_ids_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[UUID] | None | Unset, data)

        sibling_ids = _parse_sibling_ids(d.pop("sibling_ids", UNSET))

        def _parse_usage(data: object) -> None | Unset | UsageView:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                usage_type_1 = UsageView.from_dict(data)

                return usage_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UsageView, data)

        usage = _parse_usage(d.pop("usage", UNSET))

        message_view = cls(
            content=content,
            conversation_id=conversation_id,
            created_at=created_at,
            id=id,
            role=role,
            status=status,
            updated_at=updated_at,
            context=context,
            error=error,
            files=files,
            model=model,
            parent_id=parent_id,
            plugins=plugins,
            sibling_ids=sibling_ids,
            usage=usage,
        )

        message_view.additional_properties = d
        return message_view

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
