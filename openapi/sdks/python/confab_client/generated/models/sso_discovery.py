from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.sso_button_view import SsoButtonView


T = TypeVar("T", bound="SsoDiscovery")


@_attrs_define
class SsoDiscovery:
    """The single sign-on button a sign-in page shows, if any.

    Attributes:
        sso (None | SsoButtonView | Unset): The button, or null when the address's domain (or the tenant) has no single
            sign-on.
    """

    sso: None | SsoButtonView | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.sso_button_view import SsoButtonView

        sso: dict[str, Any] | None | Unset
        if isinstance(self.sso, Unset):
            sso = UNSET
        elif isinstance(self.sso, SsoButtonView):
            sso = self.sso.to_dict()
        else:
            sso = self.sso

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if sso is not UNSET:
            field_dict["sso"] = sso

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.sso_button_view import SsoButtonView

        d = dict(src_dict)

        def _parse_sso(data: object) -> None | SsoButtonView | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                sso_type_1 = SsoButtonView.from_dict(data)

                return sso_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SsoButtonView | Unset, data)

        sso = _parse_sso(d.pop("sso", UNSET))

        sso_discovery = cls(
            sso=sso,
        )

        sso_discovery.additional_properties = d
        return sso_discovery

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
