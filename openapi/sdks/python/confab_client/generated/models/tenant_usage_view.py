from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.usage_row_view import UsageRowView


T = TypeVar("T", bound="TenantUsageView")


@_attrs_define
class TenantUsageView:
    """Token usage of the active tenant over a date range, by day, user and model.

    Attributes:
        from_ (str): The first day counted (UTC).
        rows (list[UsageRowView]): One row per group, days ascending when grouped by day.
        to (str): The last day counted (UTC).
    """

    from_: str
    rows: list[UsageRowView]
    to: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from_ = self.from_

        rows = []
        for rows_item_data in self.rows:
            rows_item = rows_item_data.to_dict()
            rows.append(rows_item)

        to = self.to

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "from": from_,
                "rows": rows,
                "to": to,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.usage_row_view import UsageRowView

        d = dict(src_dict)
        from_ = d.pop("from")

        rows = []
        _rows = d.pop("rows")
        for rows_item_data in _rows:
            rows_item = UsageRowView.from_dict(rows_item_data)

            rows.append(rows_item)

        to = d.pop("to")

        tenant_usage_view = cls(
            from_=from_,
            rows=rows,
            to=to,
        )

        tenant_usage_view.additional_properties = d
        return tenant_usage_view

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
