from enum import StrEnum


class PrivateStreamEventPrivateTurnCompletedType(StrEnum):
    TURN_COMPLETED = "turn.completed"

    def __str__(self) -> str:
        return str(self.value)
