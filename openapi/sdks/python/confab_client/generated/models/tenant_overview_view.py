from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.model_usage_view import ModelUsageView
    from ..models.overview_day_view import OverviewDayView


T = TypeVar("T", bound="TenantOverviewView")


@_attrs_define
class TenantOverviewView:
    """The tenant's activity over a range of days.

    Attributes:
        days (list[OverviewDayView]): Every day of the range, oldest first; days without turns are zeros.
        from_ (str): The first day (`YYYY-MM-DD`, UTC).
        to (str): The last day (inclusive).
        top_models (list[ModelUsageView]): The most used models by tokens, most first (at most ten).
        users_active (int): Members with at least one turn in the range.
        users_total (int): Active members of the tenant now.
    """

    days: list[OverviewDayView]
    from_: str
    to: str
    top_models: list[ModelUsageView]
    users_active: int
    users_total: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        days = []
        for days_item_data in self.days:
            days_item = days_item_data.to_dict()
            days.append(days_item)

        from_ = self.from_

        to = self.to

        top_models = []
        for top_models_item_data in self.top_models:
            top_models_item = top_models_item_data.to_dict()
            top_models.append(top_models_item)

        users_active = self.users_active

        users_total = self.users_total

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "days": days,
                "from": from_,
                "to": to,
                "top_models": top_models,
                "users_active": users_active,
                "users_total": users_total,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.model_usage_view import ModelUsageView
        from ..models.overview_day_view import OverviewDayView

        d = dict(src_dict)
        days = []
        _days = d.pop("days")
        for days_item_data in _days:
            days_item = OverviewDayView.from_dict(days_item_data)

            days.append(days_item)

        from_ = d.pop("from")

        to = d.pop("to")

        top_models = []
        _top_models = d.pop("top_models")
        for top_models_item_data in _top_models:
            top_models_item = ModelUsageView.from_dict(top_models_item_data)

            top_models.append(top_models_item)

        users_active = d.pop("users_active")

        users_total = d.pop("users_total")

        tenant_overview_view = cls(
            days=days,
            from_=from_,
            to=to,
            top_models=top_models,
            users_active=users_active,
            users_total=users_total,
        )

        tenant_overview_view.additional_properties = d
        return tenant_overview_view

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
