from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.choice_option_input import ChoiceOptionInput


T = TypeVar("T", bound="SendMessage")


@_attrs_define
class SendMessage:
    """A user message to add to a conversation, and the answer to ask for.

    Attributes:
        content (str): The message's text: not blank, at most `chat.max_message_chars` characters (100,000 by
            default).
        choice_options (list[ChoiceOptionInput] | None | Unset): Each answer's own model or preset version, in choice
            order; as many as `choices` when
            given.
        choices (int | None | Unset): How many answers to generate at once, 1 (the default) to 4. With 2 or more the
            answers
            stream side by side on one connection and the user picks one
            (`POST /v1/choice-sets/{id}/pick`). Quota is reserved for all of them or none; each
            counts as a turn for the rate limits and records its own usage event.
        file_ids (list[UUID] | None | Unset): The caller's files (`POST /v1/files`) the message carries, in order: their
            text goes into
            the prompt, images to vision models (a model without `vision` refuses images with
            `validation_failed`). Another user's file is 404. None when absent.
        model (None | str | Unset): A model id from `GET /v1/models`; the first model of the catalogue when absent.
        parent_id (None | Unset | UUID): The message to answer after; the active branch's last message when absent.
    """

    content: str
    choice_options: list[ChoiceOptionInput] | None | Unset = UNSET
    choices: int | None | Unset = UNSET
    file_ids: list[UUID] | None | Unset = UNSET
    model: None | str | Unset = UNSET
    parent_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        content = self.content

        choice_options: list[dict[str, Any]] | None | Unset
        if isinstance(self.choice_options, Unset):
            choice_options = UNSET
        elif isinstance(self.choice_options, list):
            choice_options = []
            for choice_options_type_0_item_data in self.choice_options:
                choice_options_type_0_item = choice_options_type_0_item_data.to_dict()
                choice_options.append(choice_options_type_0_item)

        else:
            choice_options = self.choice_options

        choices: int | None | Unset
        if isinstance(self.choices, Unset):
            choices = UNSET
        else:
            choices = self.choices

        file_ids: list[str] | None | Unset
        if isinstance(self.file_ids, Unset):
            file_ids = UNSET
        elif isinstance(self.file_ids, list):
            file_ids = []
            for file_ids_type_0_item_data in self.file_ids:
                file_ids_type_0_item = str(file_ids_type_0_item_data)
                file_ids.append(file_ids_type_0_item)

        else:
            file_ids = self.file_ids

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

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "content": content,
            }
        )
        if choice_options is not UNSET:
            field_dict["choice_options"] = choice_options
        if choices is not UNSET:
            field_dict["choices"] = choices
        if file_ids is not UNSET:
            field_dict["file_ids"] = file_ids
        if model is not UNSET:
            field_dict["model"] = model
        if parent_id is not UNSET:
            field_dict["parent_id"] = parent_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.choice_option_input import ChoiceOptionInput

        d = dict(src_dict)
        content = d.pop("content")

        def _parse_choice_options(
            data: object,
        ) -> list[ChoiceOptionInput] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                choice_options_type_0 = []
                _choice_options_type_0 = data
                for choice_options_type_0_item_data in _choice_options_type_0:
                    choice_options_type_0_item = ChoiceOptionInput.from_dict(
                        choice_options_type_0_item_data
                    )

                    choice_options_type_0.append(choice_options_type_0_item)

                return choice_options_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[ChoiceOptionInput] | None | Unset, data)

        choice_options = _parse_choice_options(d.pop("choice_options", UNSET))

        def _parse_choices(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        choices = _parse_choices(d.pop("choices", UNSET))

        def _parse_file_ids(data: object) -> list[UUID] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                file_ids_type_0 = []
                _file_ids_type_0 = data
                for file_ids_type_0_item_data in _file_ids_type_0:
                    file_ids_type_0_item = UUID(file_ids_type_0_item_data)

                    file_ids_type_0.append(file_ids_type_0_item)

                return file_ids_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[UUID] | None | Unset, data)

        file_ids = _parse_file_ids(d.pop("file_ids", UNSET))

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

        send_message = cls(
            content=content,
            choice_options=choice_options,
            choices=choices,
            file_ids=file_ids,
            model=model,
            parent_id=parent_id,
        )

        send_message.additional_properties = d
        return send_message

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
