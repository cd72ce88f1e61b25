from enum import StrEnum


class StreamEventMessageFailedType(StrEnum):
    MESSAGE_FAILED = "message.failed"

    def __str__(self) -> str:
        return str(self.value)
