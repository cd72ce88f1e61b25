from enum import StrEnum


class ModelSource(StrEnum):
    BUILT_IN = "built_in"
    INSTALLATION = "installation"
    TENANT = "tenant"

    def __str__(self) -> str:
        return str(self.value)
