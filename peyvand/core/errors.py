"""Domain errors: every refusal a service or access function raises, each with a stable `code`.

The API turns them into the error envelope `{"code", "message", "fields"}`; views into messages or 4xx pages.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of every expected refusal; never a 500."""

    code = "error"
    status = 400
    default_message: Any = _("The request could not be completed.")

    def __init__(self, message: Any = None, *, fields: dict[str, list[str]] | None = None) -> None:
        self.message = str(message if message is not None else self.default_message)
        self.fields = fields or {}
        super().__init__(self.message)


class NotFoundError(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class PermissionDeniedError(DomainError):
    code = "permission_denied"
    status = 403
    default_message = _("You do not have permission to do this.")


class ValidationFailedError(DomainError):
    code = "validation_error"
    status = 422
    default_message = _("Some fields are not valid.")

    @classmethod
    def from_django(cls, error: Any) -> ValidationFailedError:
        """Wrap a django ValidationError, keeping its per-field messages."""
        if hasattr(error, "error_dict"):
            fields = {
                name: [str(m) for e in errs for m in e.messages] for name, errs in error.error_dict.items()
            }
            return cls(fields=fields)
        return cls(" ".join(str(m) for m in getattr(error, "messages", [error])))


class ConflictError(DomainError):
    code = "conflict"
    status = 409
    default_message = _("This record was changed by someone else. Reload it and try again.")


class PreconditionFailedError(ConflictError):
    code = "precondition_failed"
    status = 412


class RateLimitedError(DomainError):
    code = "rate_limited"
    status = 429
    default_message = _("Too many attempts. Try again later.")
