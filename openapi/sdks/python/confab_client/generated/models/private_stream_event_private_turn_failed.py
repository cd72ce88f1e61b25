from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.private_failed_status import PrivateFailedStatus
from ..models.private_stream_event_private_turn_failed_type import (
    PrivateStreamEventPrivateTurnFailedType,
)

if TYPE_CHECKING:
    from ..models.private_turn_error import PrivateTurnError


T = TypeVar("T", bound="PrivateStreamEventPrivateTurnFailed")


@_attrs_define
class PrivateStreamEventPrivateTurnFailed:
    """One event of a private answer's stream. Its SSE `event:` is the `type`; its `id:` is the
    answer's length in bytes after the event (0 for `turn.created`, length + 1 for the final
    event): send the last one back as `Last-Event-ID` to resume.

        Attributes:
            error (PrivateTurnError): Why a private answer failed or stopped early.
            length (int): The answer's length in bytes.
            status (PrivateFailedStatus): Whether a failed private answer kept text.
            turn_id (UUID): The answer.
            type_ (PrivateStreamEventPrivateTurnFailedType):  Example: turn.failed.
    """

    error: PrivateTurnError
    length: int
    status: PrivateFailedStatus
    turn_id: UUID
    type_: PrivateStreamEventPrivateTurnFailedType
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        error = self.error.to_dict()

        length = self.length

        status = self.status.value

        turn_id = str(self.turn_id)

        type_ = self.type_.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "error": error,
                "length": length,
                "status": status,
                "turn_id": turn_id,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.private_turn_error import PrivateTurnError

        d = dict(src_dict)
        error = PrivateTurnError.from_dict(d.pop("error"))

        length = d.pop("length")

        status = PrivateFailedStatus(d.pop("status"))

        turn_id = UUID(d.pop("turn_id"))

        type_ = PrivateStreamEventPrivateTurnFailedType(d.pop("type"))

        private_stream_event_private_turn_failed = cls(
            error=error,
            length=length,
            status=status,
            turn_id=turn_id,
            type_=type_,
        )

        private_stream_event_private_turn_failed.additional_properties = d
        return private_stream_event_private_turn_failed

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
