from enum import StrEnum


class MessageStatus(StrEnum):
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    FAILED = "failed"
    PARTIAL = "partial"
    QUEUED = "queued"
    STREAMING = "streaming"

    def __str__(self) -> str:
        return str(self.value)
