"""One root for every error the core raises on purpose, each with a Chinese message for the user."""

from __future__ import annotations


class CongressError(Exception):
    """A domain or service error whose ``message`` can be shown to the user as it is."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None, **details):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.details = details

    def __str__(self) -> str:  # the CLI prints str(e)
        return self.message


class InvalidInput(CongressError):
    code = "invalid"


class NotFound(CongressError):
    code = "not_found"


class Exists(CongressError):
    code = "exists"


class Cancelled(CongressError):
    code = "cancelled"

    def __init__(self, message: str = "操作已取消"):
        super().__init__(message)


class FieldErrors(InvalidInput):
    """Several field errors at once, so a form can mark every wrong field, not only the first."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("；".join(self.errors.values()), field=next(iter(self.errors), None))
