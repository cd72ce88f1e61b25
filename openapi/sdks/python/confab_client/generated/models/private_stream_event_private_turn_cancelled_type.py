from enum import StrEnum


class PrivateStreamEventPrivateTurnCancelledType(StrEnum):
    TURN_CANCELLED = "turn.cancelled"

    def __str__(self) -> str:
        return str(self.value)
