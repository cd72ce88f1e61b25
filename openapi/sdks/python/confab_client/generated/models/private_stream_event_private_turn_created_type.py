from enum import StrEnum


class PrivateStreamEventPrivateTurnCreatedType(StrEnum):
    TURN_CREATED = "turn.created"

    def __str__(self) -> str:
        return str(self.value)
