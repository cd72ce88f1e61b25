from enum import StrEnum


class HoldScope(StrEnum):
    CONVERSATION = "conversation"
    TENANT = "tenant"
    USER = "user"

    def __str__(self) -> str:
        return str(self.value)
