from enum import StrEnum


class PrivateStreamEventPrivateTurnDeltaType(StrEnum):
    TURN_DELTA = "turn.delta"

    def __str__(self) -> str:
        return str(self.value)
