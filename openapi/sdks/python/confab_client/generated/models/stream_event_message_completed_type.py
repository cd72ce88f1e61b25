from enum import StrEnum


class StreamEventMessageCompletedType(StrEnum):
    MESSAGE_COMPLETED = "message.completed"

    def __str__(self) -> str:
        return str(self.value)
