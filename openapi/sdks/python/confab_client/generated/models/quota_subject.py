from enum import StrEnum


class QuotaSubject(StrEnum):
    TENANT = "tenant"
    USER = "user"
    USER_DEFAULT = "user_default"

    def __str__(self) -> str:
        return str(self.value)
