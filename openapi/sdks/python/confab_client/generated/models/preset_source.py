from enum import StrEnum


class PresetSource(StrEnum):
    PERSONAL = "personal"
    TENANT = "tenant"

    def __str__(self) -> str:
        return str(self.value)
