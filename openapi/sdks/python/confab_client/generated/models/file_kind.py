from enum import StrEnum


class FileKind(StrEnum):
    DOCUMENT = "document"
    IMAGE = "image"
    TEXT = "text"

    def __str__(self) -> str:
        return str(self.value)
