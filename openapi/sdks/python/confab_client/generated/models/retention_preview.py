from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.retention_kind_count import RetentionKindCount
    from ..models.retention_periods import RetentionPeriods


T = TypeVar("T", bound="RetentionPreview")


@_attrs_define
class RetentionPreview:
    """What the next purge would delete in the tenant, before anything does.

    Attributes:
        effective (RetentionPeriods): Retention periods in days; `null` keeps forever (where the platform's ceiling
            allows).
        items (list[RetentionKindCount]): Counts per kind.
    """

    effective: RetentionPeriods
    items: list[RetentionKindCount]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        effective = self.effective.to_dict()

        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "effective": effective,
                "items": items,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.retention_kind_count import RetentionKindCount
        from ..models.retention_periods import RetentionPeriods

        d = dict(src_dict)
        effective = RetentionPeriods.from_dict(d.pop("effective"))

        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = RetentionKindCount.from_dict(items_item_data)

            items.append(items_item)

        retention_preview = cls(
            effective=effective,
            items=items,
        )

        retention_preview.additional_properties = d
        return retention_preview

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
