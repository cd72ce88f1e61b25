from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="UsageRowView")


@_attrs_define
class UsageRowView:
    """Tokens used on one day, by one user, with one model.

    Attributes:
        cost (float): In the currency of the catalogue's prices.
        input_tokens (int): Prompt tokens.
        output_tokens (int): Answer tokens.
        turns (int): Turns (answers) that ran, whatever their outcome.
        day (None | str | Unset): The day (UTC, `YYYY-MM-DD`); null unless grouped by day (`group_by`).
        email (None | str | Unset): The user's e-mail address, when grouped by user.
        model (None | str | Unset): The model; null unless grouped by model.
        user_id (None | Unset | UUID): The user; null unless grouped by user.
    """

    cost: float
    input_tokens: int
    output_tokens: int
    turns: int
    day: None | str | Unset = UNSET
    email: None | str | Unset = UNSET
    model: None | str | Unset = UNSET
    user_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cost = self.cost

        input_tokens = self.input_tokens

        output_tokens = self.output_tokens

        turns = self.turns

        day: None | str | Unset
        if isinstance(self.day, Unset):
            day = UNSET
        else:
            day = self.day

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        user_id: None | str | Unset
        if isinstance(self.user_id, Unset):
            user_id = UNSET
        elif isinstance(self.user_id, UUID):
            user_id = str(self.user_id)
        else:
            user_id = self.user_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cost": cost,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "turns": turns,
            }
        )
        if day is not UNSET:
            field_dict["day"] = day
        if email is not UNSET:
            field_dict["email"] = email
        if model is not UNSET:
            field_dict["model"] = model
        if user_id is not UNSET:
            field_dict["user_id"] = user_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        cost = d.pop("cost")

        input_tokens = d.pop("input_tokens")

        output_tokens = d.pop("output_tokens")

        turns = d.pop("turns")

        def _parse_day(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        day = _parse_day(d.pop("day", UNSET))

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

        def _parse_user_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                user_id_type_0 = UUID(data)

                return user_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        user_id = _parse_user_id(d.pop("user_id", UNSET))

        usage_row_view = cls(
            cost=cost,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            turns=turns,
            day=day,
            email=email,
            model=model,
            user_id=user_id,
        )

        usage_row_view.additional_properties = d
        return usage_row_view

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
