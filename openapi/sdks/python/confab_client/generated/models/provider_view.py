from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.provider_kind_view import ProviderKindView

T = TypeVar("T", bound="ProviderView")


@_attrs_define
class ProviderView:
    """
    Attributes:
        name (str):
        kind (ProviderKindView):
        installation_key (bool): The operator configured a key for everyone.
        tenant_key (bool): This tenant stored its own key (used instead).
    """

    name: str
    kind: ProviderKindView
    installation_key: bool
    tenant_key: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        kind = self.kind.value

        installation_key = self.installation_key

        tenant_key = self.tenant_key

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "kind": kind,
                "installation_key": installation_key,
                "tenant_key": tenant_key,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        kind = ProviderKindView(d.pop("kind"))

        installation_key = d.pop("installation_key")

        tenant_key = d.pop("tenant_key")

        provider_view = cls(
            name=name,
            kind=kind,
            installation_key=installation_key,
            tenant_key=tenant_key,
        )

        provider_view.additional_properties = d
        return provider_view

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
