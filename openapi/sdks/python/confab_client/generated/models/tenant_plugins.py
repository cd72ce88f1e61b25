from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.chain_entry_view import ChainEntryView


T = TypeVar("T", bound="TenantPlugins")


@_attrs_define
class TenantPlugins:
    """The tenant's plugin chain.

    Attributes:
        chain (list[ChainEntryView]): The tenant's chain, in the order it runs.
    """

    chain: list[ChainEntryView]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        chain = []
        for chain_item_data in self.chain:
            chain_item = chain_item_data.to_dict()
            chain.append(chain_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "chain": chain,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.chain_entry_view import ChainEntryView

        d = dict(src_dict)
        chain = []
        _chain = d.pop("chain")
        for chain_item_data in _chain:
            chain_item = ChainEntryView.from_dict(chain_item_data)

            chain.append(chain_item)

        tenant_plugins = cls(
            chain=chain,
        )

        tenant_plugins.additional_properties = d
        return tenant_plugins

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
