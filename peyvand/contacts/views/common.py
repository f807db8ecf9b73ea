"""Shared pieces of the contacts screens: the acting member, htmx answers, service errors on forms, list
paging in both directions, and what a list's query string carries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import HttpRequest, QueryDict
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme

from peyvand.accounts import policy
from peyvand.accounts.models import Membership
from peyvand.core import calendars, pagination
from peyvand.core.errors import DomainError, ValidationFailedError
from peyvand.core.text import to_ascii_digits

PAGE_SIZE = 50
PAGING_PARAMS = ("cursor", "before")
DATE_PARAMS = ("created_from", "created_to", "updated_from", "updated_to")


def member_of(request: HttpRequest) -> Membership:
    return request.member  # type: ignore[attr-defined,no-any-return]


def hidden_for(member: Membership, entity: str) -> set[str]:
    """The fields of `entity` not shown to `member`: hidden by their role's field rules, and the tags when
    their role may not see tags at all."""
    hidden = set(policy.hidden_fields(member, entity))
    if not member.may("view", entity="tag"):
        hidden.add("tags")
    return hidden


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def htmx_target(request: HttpRequest) -> str:
    htmx = getattr(request, "htmx", None)
    return str(htmx.target or "") if htmx else ""


def apply_errors(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the form: per-field messages next to their inputs (the form's
    `error_target` maps service names such as `owner_id` or `custom.budget`), the rest at the top."""
    target = getattr(form, "error_target", lambda name: name if name in form.fields else None)
    for name, problems in error.fields.items():
        for problem in problems:
            form.add_error(target(name), problem)
    if not error.fields:
        form.add_error(None, error.message)


def error_text(error: DomainError) -> str:
    """All of a refusal's messages in one line (for a single input or a flash message)."""
    return " ".join(m for problems in error.fields.values() for m in problems) or error.message


def collect_refusals(*checks: Any) -> None:
    """Run the services' own cleaning functions on every part of a form before saving, so all problems are
    shown at once (a service stops at the first); one ValidationFailedError with every field, or nothing."""
    fields: dict[str, list[str]] = {}
    for check in checks:
        try:
            check()
        except ValidationFailedError as error:
            for name, problems in error.fields.items():
                fields.setdefault(name, []).extend(problems)
    if fields:
        raise ValidationFailedError(fields=fields)


def form_status(form: forms.Form | None) -> int:
    return 422 if form is not None and form.is_bound and form.errors else 200


def safe_next(request: HttpRequest, value: str | None, default: str) -> str:
    """A same-site path to go back to after a form (a list with its filters), else `default`."""
    if value and value.startswith("/") and url_has_allowed_host_and_scheme(value, {request.get_host()}):
        return value
    return default


# ----------------------------------------------------------------------------- list query strings


def list_params(params: QueryDict, *, drop: tuple[str, ...] = PAGING_PARAMS) -> QueryDict:
    query = params.copy()
    for name in drop:
        query.pop(name, None)
    return query


def query_string(params: QueryDict, **changes: Any) -> str:
    """The list's query string without paging, with `changes` applied (None removes a parameter)."""
    query = list_params(params)
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = str(value)
    return query.urlencode()


def carried(params: QueryDict, *, drop: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, value) pairs of the current query to repeat as hidden inputs of another form on the page."""
    return [(name, value) for name, values in params.lists() if name not in drop for value in values]


def canonical_dates(params: QueryDict) -> QueryDict | None:
    """The query with dates typed in the reader's calendar (۱۴۰۳/۰۱/۱۵) rewritten as ISO dates, so a list
    link means the same to everyone; None when nothing needs rewriting (or a date does not parse)."""
    query = params.copy()
    changed = False
    for name in DATE_PARAMS:
        value = query.get(name, "").strip()
        if not value:
            continue
        try:
            iso = parse_date(to_ascii_digits(value))
        except ValueError:
            iso = None
        if iso is not None:
            continue
        try:
            day = calendars.parse_date(value)
        except ValueError:
            return None
        query[name] = day.isoformat()
        changed = True
    return query if changed else None


def filter_form_data(params: QueryDict) -> QueryDict:
    """The query as data for a filter form: ISO dates become dates, so the inputs show them in the
    reader's calendar."""
    data = params.copy()
    for name in DATE_PARAMS:
        value = data.get(name, "")
        try:
            day = parse_date(value) if value else None
        except ValueError:
            day = None
        if day is not None:
            data.setlist(name, [day])  # type: ignore[list-item]
    return data


# ----------------------------------------------------------------------------- paging


@dataclass
class ListPage:
    items: list[Any]
    next_cursor: str | None
    previous_cursor: str | None


def paginate(
    queryset: Any,
    *,
    ordering: str,
    params: Mapping[str, Any],
    limit: int = PAGE_SIZE,
    plan: Mapping[str, Any] | None = None,
) -> ListPage:
    """Keyset paging forwards (`cursor`: rows after it) and backwards (`before`: the rows just before it),
    so both links stay cheap on deep pages; `plan` is `selectors.page_plan`'s advice for keyset_page.
    Invalid cursors raise ValidationFailedError."""
    plan = plan or {}
    before = str(params.get("before") or "")
    cursor = str(params.get("cursor") or "")
    if before:
        flipped = ordering[1:] if ordering.startswith("-") else f"-{ordering}"
        back = pagination.keyset_page(queryset, ordering=flipped, limit=limit, cursor=before, **plan)
        items = list(reversed(back.items))
        if items:
            return ListPage(
                items=items,
                next_cursor=pagination.cursor_of(items[-1], ordering),
                previous_cursor=pagination.cursor_of(items[0], ordering) if back.next_cursor else None,
            )
        cursor = ""
    page = pagination.keyset_page(queryset, ordering=ordering, limit=limit, cursor=cursor or None, **plan)
    previous = pagination.cursor_of(page.items[0], ordering) if cursor and page.items else None
    return ListPage(items=page.items, next_cursor=page.next_cursor, previous_cursor=previous)
