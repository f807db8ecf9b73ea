"""Shared pieces of the REST API: the error envelope, auth, If-Match, list parameters."""

from __future__ import annotations

import datetime
import typing
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from peyvand.core.errors import DomainError, ValidationFailedError


class ErrorOut(Schema):
    """The one error envelope of the API."""

    code: str
    message: str
    fields: dict[str, list[str]] = {}


_MAX_INT = 2**63 - 1


def storable(value: Any) -> Any:
    """Refuse what no database column holds, so such input is a 422 rather than a 500 from the driver: NUL
    characters (PostgreSQL text), integers past 64 bits, datetimes outside years 1-9999 once in UTC.
    Looks inside lists and dicts (keys too)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise PydanticCustomError("nul_character", str(_("Remove the NUL character.")))
    elif isinstance(value, int) and not isinstance(value, bool):
        if not -_MAX_INT - 1 <= value <= _MAX_INT:
            raise PydanticCustomError("int_too_large", str(_("This number is too large.")))
    elif isinstance(value, datetime.datetime) and value.tzinfo is not None:  # naive ones are read as UTC
        try:
            value.astimezone(datetime.UTC)
        except OverflowError:
            message = str(_("Choose a date between the years 1 and 9999."))
            raise PydanticCustomError("datetime_range", message) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            storable(key)
            storable(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            storable(item)
    return value


def _admits_bool(annotation: Any) -> bool:
    if annotation is bool or annotation is Any:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True  # a nested schema checks its own fields
    return any(_admits_bool(arg) for arg in typing.get_args(annotation))


def _holds_bool(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_bool(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_bool(item) for item in value)
    return isinstance(value, bool)


class OutSchema(BaseModel):
    """Base of response bodies built as dicts by the `*_out` functions: validated by pydantic alone, without
    ninja's attribute resolution (which wraps every nested object and cost a list page ~10 ms)."""


class InSchema(Schema):
    """Base of every request body: unknown fields are refused (422 naming them), unstorable values too."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_as_number(cls, value: Any, info: ValidationInfo) -> Any:
        """JSON true/false where a number is expected is a wrong type (pydantic would read true as 1)."""
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and _holds_bool(value) and not _admits_bool(field.annotation):
            raise PydanticCustomError("bool_type", str(_("A true/false value is not allowed here.")))
        return value

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return storable(value)


class QueryIn(Schema):
    """Base of list filters (query strings): unstorable values refused (422); unknown parameters ignored."""

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return storable(value)


ERRORS_READ = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
ERRORS_WRITE = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    412: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
}


def envelope(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": fields or {}}


def _field_name(loc: list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "form", "file", "cookie"}:
        parts = parts[1:]
        if len(parts) > 1 and parts[0] in {"payload", "filters", "params", "data"}:
            parts = parts[1:]
    return ".".join(parts) or "body"


def install_error_handlers(api: Any) -> None:
    """Every refusal becomes the envelope; no bad input reaches a 500."""

    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, envelope(exc.code, exc.message, exc.fields), status=exc.status)

    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            name = _field_name(error.get("loc", []))
            message = error.get("msg", "")
            if error.get("type") == "extra_forbidden":
                message = _("Unknown field.")
            elif error.get("type") == "missing":
                message = _("This field is required.")
            fields.setdefault(name, []).append(str(message))
        return api.create_response(
            request, envelope("validation_error", _("Some fields are not valid."), fields), status=422
        )

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        codes = {
            400: "bad_request",
            401: "not_authenticated",
            403: "permission_denied",
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
            429: "rate_limited",
        }
        message = str(exc)
        if isinstance(exc, AuthenticationError):
            message = _("Authentication required: send a valid API token or sign in.")
        elif exc.status_code == 403 and "CSRF" in message:
            message = _("CSRF check failed: send the X-CSRFToken header with the session cookie.")
        return api.create_response(
            request, envelope(codes.get(exc.status_code, "error"), message), status=exc.status_code
        )

    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(request, envelope("not_found", _("Not found.")), status=404)

    api.add_exception_handler(DomainError, domain_error)
    api.add_exception_handler(NinjaValidationError, validation_error)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)


def if_match(request: HttpRequest) -> int | None:
    """The version an `If-Match` header names (`3`, `"3"` or `W/"3"`), or None when absent."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise ValidationFailedError(fields={"If-Match": [_("Send the record's version number.")]})
    return int(value)


def expected_version(request: HttpRequest, body_version: int | None) -> tuple[int | None, bool]:
    """(version, is_precondition): If-Match wins (412 when stale); else the body's expected_version (409)."""
    header = if_match(request)
    if header is not None:
        return header, True
    return body_version, False


class TokenAuth(HttpBearer):
    """`Authorization: Bearer pvk_…`: a personal token bound to one membership."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from peyvand.accounts.services import token_authenticate

        member = token_authenticate(token)
        if member is not None:
            _bind(request, member)
        return member


class SessionAuth(APIKeyCookie):
    """The browser session, with CSRF checked on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        from peyvand.accounts.middleware import member_for_session

        if not key:
            return None
        member = member_for_session(request)
        if member is not None:
            _bind(request, member)
        return member


def _bind(request: HttpRequest, member: Any) -> None:
    from peyvand.accounts.middleware import activate_member_locale

    request.member = member  # type: ignore[attr-defined]
    activate_member_locale(request, member)
