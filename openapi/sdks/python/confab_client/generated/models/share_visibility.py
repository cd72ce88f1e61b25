from enum import StrEnum


class ShareVisibility(StrEnum):
    LINK = "link"
    TENANT = "tenant"
    USERS = "users"

    def __str__(self) -> str:
        return str(self.value)
