from enum import StrEnum


class QuotaSubjectName(StrEnum):
    TENANT = "tenant"
    USER = "user"
    USER_DEFAULT = "user_default"

    def __str__(self) -> str:
        return str(self.value)
