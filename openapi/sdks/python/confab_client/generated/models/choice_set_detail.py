from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.choice_set_view import ChoiceSetView
    from ..models.message_view import MessageView


T = TypeVar("T", bound="ChoiceSetDetail")


@_attrs_define
class ChoiceSetDetail:
    """A choice set with its answers as they are now.

    Attributes:
        answers (list[MessageView]): The answers, in choice order.
        choice_set (ChoiceSetView): Several answers to one message, generated at once (a send or regenerate with
            `choices`).
    """

    answers: list[MessageView]
    choice_set: ChoiceSetView
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        answers = []
        for answers_item_data in self.answers:
            answers_item = answers_item_data.to_dict()
            answers.append(answers_item)

        choice_set = self.choice_set.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "answers": answers,
                "choice_set": choice_set,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.choice_set_view import ChoiceSetView
        from ..models.message_view import MessageView

        d = dict(src_dict)
        answers = []
        _answers = d.pop("answers")
        for answers_item_data in _answers:
            answers_item = MessageView.from_dict(answers_item_data)

            answers.append(answers_item)

        choice_set = ChoiceSetView.from_dict(d.pop("choice_set"))

        choice_set_detail = cls(
            answers=answers,
            choice_set=choice_set,
        )

        choice_set_detail.additional_properties = d
        return choice_set_detail

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
