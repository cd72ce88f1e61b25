from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.quota_status_view import QuotaStatusView
    from ..models.usage_totals import UsageTotals


T = TypeVar("T", bound="MyUsageView")


@_attrs_define
class MyUsageView:
    """The caller's own token usage and the quotas that apply to them.

    Attributes:
        day (str): Today (UTC), `YYYY-MM-DD`.
        month (str): This month (UTC), `YYYY-MM`.
        quotas (list[QuotaStatusView]): The budgets that apply to me; none when no quota is set.
        this_month (UsageTotals): Token totals over a period.
        today (UsageTotals): Token totals over a period.
    """

    day: str
    month: str
    quotas: list[QuotaStatusView]
    this_month: UsageTotals
    today: UsageTotals
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        day = self.day

        month = self.month

        quotas = []
        for quotas_item_data in self.quotas:
            quotas_item = quotas_item_data.to_dict()
            quotas.append(quotas_item)

        this_month = self.this_month.to_dict()

        today = self.today.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "day": day,
                "month": month,
                "quotas": quotas,
                "this_month": this_month,
                "today": today,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.quota_status_view import QuotaStatusView
        from ..models.usage_totals import UsageTotals

        d = dict(src_dict)
        day = d.pop("day")

        month = d.pop("month")

        quotas = []
        _quotas = d.pop("quotas")
        for quotas_item_data in _quotas:
            quotas_item = QuotaStatusView.from_dict(quotas_item_data)

            quotas.append(quotas_item)

        this_month = UsageTotals.from_dict(d.pop("this_month"))

        today = UsageTotals.from_dict(d.pop("today"))

        my_usage_view = cls(
            day=day,
            month=month,
            quotas=quotas,
            this_month=this_month,
            today=today,
        )

        my_usage_view.additional_properties = d
        return my_usage_view

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
