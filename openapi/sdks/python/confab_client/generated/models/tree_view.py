from enum import StrEnum


class TreeView(StrEnum):
    BRANCH = "branch"
    TREE = "tree"

    def __str__(self) -> str:
        return str(self.value)
