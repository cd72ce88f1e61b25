from enum import StrEnum


class TenantRole(StrEnum):
    AUDITOR = "auditor"
    MEMBER = "member"
    TENANT_ADMIN = "tenant_admin"

    def __str__(self) -> str:
        return str(self.value)
