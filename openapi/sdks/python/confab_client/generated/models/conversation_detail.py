from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.tree_view import TreeView
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.choice_set_view import ChoiceSetView
    from ..models.conversation_view import ConversationView
    from ..models.message_view import MessageView
    from ..models.pinned_preset import PinnedPreset


T = TypeVar("T", bound="ConversationDetail")


@_attrs_define
class ConversationDetail:
    """A conversation with its messages: the active branch or the whole tree.

    Attributes:
        choice_sets (list[ChoiceSetView]): The conversation's sends with choices (several answers to one message),
            oldest first.
        conversation (ConversationView): A conversation: a tree of messages owned by one user in one tenant.
        messages (list[MessageView]): The messages, as `view` says.
        view (TreeView): Which messages of a conversation to return.
        preset (None | PinnedPreset | Unset): The pinned preset version, when there is one (and its preset is visible to
            the caller).
    """

    choice_sets: list[ChoiceSetView]
    conversation: ConversationView
    messages: list[MessageView]
    view: TreeView
    preset: None | PinnedPreset | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.pinned_preset import PinnedPreset

        choice_sets = []
        for choice_sets_item_data in self.choice_sets:
            choice_sets_item = choice_sets_item_data.to_dict()
            choice_sets.append(choice_sets_item)

        conversation = self.conversation.to_dict()

        messages = []
        for messages_item_data in self.messages:
            messages_item = messages_item_data.to_dict()
            messages.append(messages_item)

        view = self.view.value

        preset: dict[str, Any] | None | Unset
        if isinstance(self.preset, Unset):
            preset = UNSET
        elif isinstance(self.preset, PinnedPreset):
            preset = self.preset.to_dict()
        else:
            preset = self.preset

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "choice_sets": choice_sets,
                "conversation": conversation,
                "messages": messages,
                "view": view,
            }
        )
        if preset is not UNSET:
            field_dict["preset"] = preset

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.choice_set_view import ChoiceSetView
        from ..models.conversation_view import ConversationView
        from ..models.message_view import MessageView
        from ..models.pinned_preset import PinnedPreset

        d = dict(src_dict)
        choice_sets = []
        _choice_sets = d.pop("choice_sets")
        for choice_sets_item_data in _choice_sets:
            choice_sets_item = ChoiceSetView.from_dict(choice_sets_item_data)

            choice_sets.append(choice_sets_item)

        conversation = ConversationView.from_dict(d.pop("conversation"))

        messages = []
        _messages = d.pop("messages")
        for messages_item_data in _messages:
            messages_item = MessageView.from_dict(messages_item_data)

            messages.append(messages_item)

        view = TreeView(d.pop("view"))

        def _parse_preset(data: object) -> None | PinnedPreset | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                preset_type_1 = PinnedPreset.from_dict(data)

                return preset_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PinnedPreset | Unset, data)

        preset = _parse_preset(d.pop("preset", UNSET))

        conversation_detail = cls(
            choice_sets=choice_sets,
            conversation=conversation,
            messages=messages,
            view=view,
            preset=preset,
        )

        conversation_detail.additional_properties = d
        return conversation_detail

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
