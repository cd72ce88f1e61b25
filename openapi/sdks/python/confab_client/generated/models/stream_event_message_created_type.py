from enum import StrEnum


class StreamEventMessageCreatedType(StrEnum):
    MESSAGE_CREATED = "message.created"

    def __str__(self) -> str:
        return str(self.value)
