from enum import StrEnum


class KeepMode(StrEnum):
    CONVERSATION = "conversation"
    METADATA = "metadata"
    NOTHING = "nothing"

    def __str__(self) -> str:
        return str(self.value)
