from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SnippetSegment")


@_attrs_define
class SnippetSegment:
    """A piece of a snippet. Concatenate the pieces in order; show `highlight` ones emphasised.
    Plain text, never markup.

        Attributes:
            highlight (bool): True for text that matched the query.
            text (str): A piece of the snippet's text.
    """

    highlight: bool
    text: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        highlight = self.highlight

        text = self.text

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "highlight": highlight,
                "text": text,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        highlight = d.pop("highlight")

        text = d.pop("text")

        snippet_segment = cls(
            highlight=highlight,
            text=text,
        )

        snippet_segment.additional_properties = d
        return snippet_segment

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
