from enum import StrEnum


class AuditSinkKindView(StrEnum):
    SYSLOG = "syslog"
    WEBHOOK = "webhook"

    def __str__(self) -> str:
        return str(self.value)
