from enum import StrEnum


class StreamEventMessageDeltaType(StrEnum):
    MESSAGE_DELTA = "message.delta"

    def __str__(self) -> str:
        return str(self.value)
