from enum import StrEnum


class StreamEventMessageCancelledType(StrEnum):
    MESSAGE_CANCELLED = "message.cancelled"

    def __str__(self) -> str:
        return str(self.value)
