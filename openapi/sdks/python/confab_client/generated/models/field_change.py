from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.diff_line import DiffLine


T = TypeVar("T", bound="FieldChange")


@_attrs_define
class FieldChange:
    """One changed field. Scalar fields carry `from` and `to`; the system prompt carries `lines`.

    Attributes:
        field (str): The setting, e.g. `model`, `temperature`, `system_prompt`.
        from_ (Any | Unset): The old value (null when unset); absent for `system_prompt`, which has `lines`.
        lines (list[DiffLine] | None | Unset): For `system_prompt`: a line diff; absent otherwise.
        to (Any | Unset): The new value (null when unset); absent for `system_prompt`, which has `lines`.
    """

    field: str
    from_: Any | Unset = UNSET
    lines: list[DiffLine] | None | Unset = UNSET
    to: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        field = self.field

        from_ = self.from_

        lines: list[dict[str, Any]] | None | Unset
        if isinstance(self.lines, Unset):
            lines = UNSET
        elif isinstance(self.lines, list):
            lines = []
            for lines_type_0_item_data in self.lines:
                lines_type_0_item = lines_type_0_item_data.to_dict()
                lines.append(lines_type_0_item)

        else:
            lines = self.lines

        to = self.to

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "field": field,
            }
        )
        if from_ is not UNSET:
            field_dict["from"] = from_
        if lines is not UNSET:
            field_dict["lines"] = lines
        if to is not UNSET:
            field_dict["to"] = to

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.diff_line import DiffLine

        d = dict(src_dict)
        field = d.pop("field")

        from_ = d.pop("from", UNSET)

        def _parse_lines(data: object) -> list[DiffLine] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                lines_type_0 = []
                _lines_type_0 = data
                for lines_type_0_item_data in _lines_type_0:
                    lines_type_0_item = DiffLine.from_dict(lines_type_0_item_data)

                    lines_type_0.append(lines_type_0_item)

                return lines_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[DiffLine] | None | Unset, data)

        lines = _parse_lines(d.pop("lines", UNSET))

        to = d.pop("to", UNSET)

        field_change = cls(
            field=field,
            from_=from_,
            lines=lines,
            to=to,
        )

        field_change.additional_properties = d
        return field_change

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
