from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.role_view import RoleView
from ..models.status_view import StatusView
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.context_view import ContextView
    from ..models.message_error_view import MessageErrorView
    from ..models.plugin_run_view import PluginRunView
    from ..models.usage_view import UsageView


T = TypeVar("T", bound="MessageView")


@_attrs_define
class MessageView:
    """
    Attributes:
        id (UUID):
        conversation_id (UUID):
        role (RoleView):
        status (StatusView):
        content (str):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        parent_id (None | Unset | UUID):
        model (None | str | Unset):
        error (MessageErrorView | None | Unset):
        usage (None | Unset | UsageView):
        context (ContextView | None | Unset): For assistant messages: what was sent upstream.
        plugins (list[PluginRunView] | None | Unset): For assistant messages: what each plugin of the tenant's chain did
            to the request
            (`unchanged`, `changed`, `rejected`, `failed_open`, `failed`), in chain order.
        sibling_ids (list[UUID] | None | Unset): Ids of this message and its siblings (same parent), oldest first — for
            ‹ 2 / 3 › navigation.
            Only in the branch view.
    """

    id: UUID
    conversation_id: UUID
    role: RoleView
    status: StatusView
    content: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    parent_id: None | Unset | UUID = UNSET
    model: None | str | Unset = UNSET
    error: MessageErrorView | None | Unset = UNSET
    usage: None | Unset | UsageView = UNSET
    context: ContextView | None | Unset = UNSET
    plugins: list[PluginRunView] | None | Unset = UNSET
    sibling_ids: list[UUID] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.context_view import ContextView
        from ..models.message_error_view import MessageErrorView
        from ..models.usage_view import UsageView

        id = str(self.id)

        conversation_id = str(self.conversation_id)

        role = self.role.value

        status = self.status.value

        content = self.content

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        parent_id: None | str | Unset
        if isinstance(self.parent_id, Unset):
            parent_id = UNSET
        elif isinstance(self.parent_id, UUID):
            parent_id = str(self.parent_id)
        else:
            parent_id = self.parent_id

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        error: dict[str, Any] | None | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        elif isinstance(self.error, MessageErrorView):
            error = self.error.to_dict()
        else:
            error = self.error

        usage: dict[str, Any] | None | Unset
        if isinstance(self.usage, Unset):
            usage = UNSET
        elif isinstance(self.usage, UsageView):
            usage = self.usage.to_dict()
        else:
            usage = self.usage

        context: dict[str, Any] | None | Unset
        if isinstance(self.context, Unset):
            context = UNSET
        elif isinstance(self.context, ContextView):
            context = self.context.to_dict()
        else:
            context = self.context

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

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "conversation_id": conversation_id,
                "role": role,
                "status": status,
                "content": content,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )
        if parent_id is not UNSET:
            field_dict["parent_id"] = parent_id
        if model is not UNSET:
            field_dict["model"] = model
        if error is not UNSET:
            field_dict["error"] = error
        if usage is not UNSET:
            field_dict["usage"] = usage
        if context is not UNSET:
            field_dict["context"] = context
        if plugins is not UNSET:
            field_dict["plugins"] = plugins
        if sibling_ids is not UNSET:
            field_dict["sibling_ids"] = sibling_ids

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.context_view import ContextView
        from ..models.message_error_view import MessageErrorView
        from ..models.plugin_run_view import PluginRunView
        from ..models.usage_view import UsageView

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        conversation_id = UUID(d.pop("conversation_id"))

        role = RoleView(d.pop("role"))

        status = StatusView(d.pop("status"))

        content = d.pop("content")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

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

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

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

        message_view = cls(
            id=id,
            conversation_id=conversation_id,
            role=role,
            status=status,
            content=content,
            created_at=created_at,
            updated_at=updated_at,
            parent_id=parent_id,
            model=model,
            error=error,
            usage=usage,
            context=context,
            plugins=plugins,
            sibling_ids=sibling_ids,
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
