from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.provider_kind import ProviderKind

T = TypeVar("T", bound="ProviderView")


@_attrs_define
class ProviderView:
    """A model provider: where models are served from.

    Attributes:
        installation_key (bool): The operator configured a key for everyone.
        kind (ProviderKind): The wire protocol a provider speaks.
        name (str): The provider's name in the configuration.
        tenant_key (bool): This tenant stored its own key (used instead).
    """

    installation_key: bool
    kind: ProviderKind
    name: str
    tenant_key: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        installation_key = self.installation_key

        kind = self.kind.value

        name = self.name

        tenant_key = self.tenant_key

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "installation_key": installation_key,
                "kind": kind,
                "name": name,
                "tenant_key": tenant_key,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        installation_key = d.pop("installation_key")

        kind = ProviderKind(d.pop("kind"))

        name = d.pop("name")

        tenant_key = d.pop("tenant_key")

        provider_view = cls(
            installation_key=installation_key,
            kind=kind,
            name=name,
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
