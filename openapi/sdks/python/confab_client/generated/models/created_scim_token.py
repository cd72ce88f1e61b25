from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.scim_token_view import ScimTokenView


T = TypeVar("T", bound="CreatedScimToken")


@_attrs_define
class CreatedScimToken:
    """A new SCIM token: the secret is shown only in this answer.

    Attributes:
        endpoint (str): The SCIM base URL path for this tenant, `/scim/v2/{tenant slug}` (prefix it with the server's
            URL).
        secret (str): The bearer secret to give the identity provider (`cfs_…`).
        token (ScimTokenView): A SCIM token of the tenant (never the secret).
    """

    endpoint: str
    secret: str
    token: ScimTokenView
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        endpoint = self.endpoint

        secret = self.secret

        token = self.token.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "endpoint": endpoint,
                "secret": secret,
                "token": token,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.scim_token_view import ScimTokenView

        d = dict(src_dict)
        endpoint = d.pop("endpoint")

        secret = d.pop("secret")

        token = ScimTokenView.from_dict(d.pop("token"))

        created_scim_token = cls(
            endpoint=endpoint,
            secret=secret,
            token=token,
        )

        created_scim_token.additional_properties = d
        return created_scim_token

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
