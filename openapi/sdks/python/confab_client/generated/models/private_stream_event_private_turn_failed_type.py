from enum import StrEnum


class PrivateStreamEventPrivateTurnFailedType(StrEnum):
    TURN_FAILED = "turn.failed"

    def __str__(self) -> str:
        return str(self.value)
