from enum import StrEnum


class PrivateFailedStatus(StrEnum):
    FAILED = "failed"
    PARTIAL = "partial"

    def __str__(self) -> str:
        return str(self.value)
