from __future__ import annotations

from collections.abc import Sequence

from confab_client import MessageDelta, PrivateTurnDelta


def assert_contiguous(deltas: Sequence[MessageDelta | PrivateTurnDelta], start: int = 0) -> None:
    """Each delta starts exactly where the previous one ended: no gap, no duplicate."""
    offset = start
    for delta in deltas:
        assert delta.offset == offset + len(delta.content.encode()), (offset, delta)
        assert delta.event_id == str(delta.offset)
        offset = delta.offset


def user_messages(detail) -> list:
    return [m for m in detail.messages if m.role.value == "user"]
