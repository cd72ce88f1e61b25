from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="TurnTimings")


@_attrs_define
class TurnTimings:
    """One turn as a client saw it, in milliseconds from pressing send. At least one of the two; each
    at most 3600000, and the first token not after the complete answer.

        Attributes:
            message_id (UUID): The answer (assistant message) the timings are for; it must be the caller's.
            send_to_complete_ms (int | None | Unset): From pressing send to the complete answer shown; null when it did not
                complete.
            send_to_first_token_ms (int | None | Unset): From pressing send to the first token shown; null when no token
                arrived.
    """

    message_id: UUID
    send_to_complete_ms: int | None | Unset = UNSET
    send_to_first_token_ms: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        message_id = str(self.message_id)

        send_to_complete_ms: int | None | Unset
        if isinstance(self.send_to_complete_ms, Unset):
            send_to_complete_ms = UNSET
        else:
            send_to_complete_ms = self.send_to_complete_ms

        send_to_first_token_ms: int | None | Unset
        if isinstance(self.send_to_first_token_ms, Unset):
            send_to_first_token_ms = UNSET
        else:
            send_to_first_token_ms = self.send_to_first_token_ms

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "message_id": message_id,
            }
        )
        if send_to_complete_ms is not UNSET:
            field_dict["send_to_complete_ms"] = send_to_complete_ms
        if send_to_first_token_ms is not UNSET:
            field_dict["send_to_first_token_ms"] = send_to_first_token_ms

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        message_id = UUID(d.pop("message_id"))

        def _parse_send_to_complete_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        send_to_complete_ms = _parse_send_to_complete_ms(
            d.pop("send_to_complete_ms", UNSET)
        )

        def _parse_send_to_first_token_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        send_to_first_token_ms = _parse_send_to_first_token_ms(
            d.pop("send_to_first_token_ms", UNSET)
        )

        turn_timings = cls(
            message_id=message_id,
            send_to_complete_ms=send_to_complete_ms,
            send_to_first_token_ms=send_to_first_token_ms,
        )

        turn_timings.additional_properties = d
        return turn_timings

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
