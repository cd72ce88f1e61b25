from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.retention_periods import RetentionPeriods


T = TypeVar("T", bound="PlatformRetention")


@_attrs_define
class PlatformRetention:
    """The platform's default retention and the floor and ceiling every tenant policy stays within.

    Attributes:
        ceiling (RetentionPeriods): Retention periods in days; `null` keeps forever (where the platform's ceiling
            allows).
        default (RetentionPeriods): Retention periods in days; `null` keeps forever (where the platform's ceiling
            allows).
        floor (RetentionPeriods): Retention periods in days; `null` keeps forever (where the platform's ceiling allows).
    """

    ceiling: RetentionPeriods
    default: RetentionPeriods
    floor: RetentionPeriods
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        ceiling = self.ceiling.to_dict()

        default = self.default.to_dict()

        floor = self.floor.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "ceiling": ceiling,
                "default": default,
                "floor": floor,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.retention_periods import RetentionPeriods

        d = dict(src_dict)
        ceiling = RetentionPeriods.from_dict(d.pop("ceiling"))

        default = RetentionPeriods.from_dict(d.pop("default"))

        floor = RetentionPeriods.from_dict(d.pop("floor"))

        platform_retention = cls(
            ceiling=ceiling,
            default=default,
            floor=floor,
        )

        platform_retention.additional_properties = d
        return platform_retention

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
