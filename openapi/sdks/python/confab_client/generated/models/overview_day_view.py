from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="OverviewDayView")


@_attrs_define
class OverviewDayView:
    """One UTC day of the tenant's activity.

    Attributes:
        active_users (int): Users with at least one turn that day.
        cost (float): Cost in the catalogue's currency.
        day (str): The day (`YYYY-MM-DD`, UTC).
        failed_turns (int): Turns that ended `failed`.
        input_tokens (int): Prompt tokens.
        output_tokens (int): Answer tokens.
        turns (int): Finished turns (chat answers and OpenAI-compatible calls), whatever their outcome.
        ttft_p50_ms (int | None | Unset): Median time from a chat turn's start to its first token, in milliseconds; null
            without
            streamed answers that day.
        ttft_p99_ms (int | None | Unset): 99th percentile of the same; null without streamed answers that day.
    """

    active_users: int
    cost: float
    day: str
    failed_turns: int
    input_tokens: int
    output_tokens: int
    turns: int
    ttft_p50_ms: int | None | Unset = UNSET
    ttft_p99_ms: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        active_users = self.active_users

        cost = self.cost

        day = self.day

        failed_turns = self.failed_turns

        input_tokens = self.input_tokens

        output_tokens = self.output_tokens

        turns = self.turns

        ttft_p50_ms: int | None | Unset
        if isinstance(self.ttft_p50_ms, Unset):
            ttft_p50_ms = UNSET
        else:
            ttft_p50_ms = self.ttft_p50_ms

        ttft_p99_ms: int | None | Unset
        if isinstance(self.ttft_p99_ms, Unset):
            ttft_p99_ms = UNSET
        else:
            ttft_p99_ms = self.ttft_p99_ms

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "active_users": active_users,
                "cost": cost,
                "day": day,
                "failed_turns": failed_turns,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "turns": turns,
            }
        )
        if ttft_p50_ms is not UNSET:
            field_dict["ttft_p50_ms"] = ttft_p50_ms
        if ttft_p99_ms is not UNSET:
            field_dict["ttft_p99_ms"] = ttft_p99_ms

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        active_users = d.pop("active_users")

        cost = d.pop("cost")

        day = d.pop("day")

        failed_turns = d.pop("failed_turns")

        input_tokens = d.pop("input_tokens")

        output_tokens = d.pop("output_tokens")

        turns = d.pop("turns")

        def _parse_ttft_p50_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        ttft_p50_ms = _parse_ttft_p50_ms(d.pop("ttft_p50_ms", UNSET))

        def _parse_ttft_p99_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        ttft_p99_ms = _parse_ttft_p99_ms(d.pop("ttft_p99_ms", UNSET))

        overview_day_view = cls(
            active_users=active_users,
            cost=cost,
            day=day,
            failed_turns=failed_turns,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            turns=turns,
            ttft_p50_ms=ttft_p50_ms,
            ttft_p99_ms=ttft_p99_ms,
        )

        overview_day_view.additional_properties = d
        return overview_day_view

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
