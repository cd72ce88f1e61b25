from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.diff_op import DiffOp

T = TypeVar("T", bound="DiffLine")


@_attrs_define
class DiffLine:
    """One line of a text diff.

    Attributes:
        op (DiffOp): A diff line's kind: `equal` (in both), `delete` (old only), `insert` (new only).
        text (str): The line, without its line break.
    """

    op: DiffOp
    text: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        op = self.op.value

        text = self.text

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "op": op,
                "text": text,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        op = DiffOp(d.pop("op"))

        text = d.pop("text")

        diff_line = cls(
            op=op,
            text=text,
        )

        diff_line.additional_properties = d
        return diff_line

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
