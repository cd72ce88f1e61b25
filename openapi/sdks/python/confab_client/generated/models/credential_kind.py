from enum import StrEnum


class CredentialKind(StrEnum):
    API_TOKEN = "api_token"
    SESSION = "session"

    def __str__(self) -> str:
        return str(self.value)
