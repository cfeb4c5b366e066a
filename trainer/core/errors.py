"""Domain exceptions: operations raise them with a Vietnamese message; views turn them into a
flash message or a 400 (cosmicpython ch. 4)."""


class DomainError(Exception):
    """A business rule was broken. `str(e)` is the Vietnamese message shown to the user."""


class NotAllowed(DomainError):
    """The actor may not do this (outside their scope or role)."""


class ImportRejected(DomainError):
    """An import file had errors; nothing was written. `errors` lists one message per problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(f"Tệp có {len(errors)} lỗi, không ghi dữ liệu nào.")
