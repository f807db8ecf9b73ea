"""Keyset pagination: a page is the rows after the last row seen, in a fixed (value, id) order.

A cursor is opaque to clients (URL-safe base64 of JSON). Query count does not depend on the page size,
and deep pages cost the same as the first one.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models.functions import Concat
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from peyvand.core.errors import ValidationFailedError

T = TypeVar("T", bound=models.Model)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(values: list[Any]) -> str:
    """The cursor of a row whose ordering values (the ordering field, then the id) are `values`."""
    plain = [v.isoformat() if isinstance(v, datetime.datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def cursor_of(item: Any, ordering: str) -> str:
    """The cursor that continues a page of `ordering` after `item` (or, flipped, before it)."""
    field = ordering.lstrip("-")
    return encode_cursor([item.pk] if field == "id" else [getattr(item, field), item.pk])


def _decode(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise ValidationFailedError(fields={"cursor": [str(_("This cursor is not valid."))]}) from error
    if not isinstance(values, list):
        raise ValidationFailedError(fields={"cursor": [str(_("This cursor is not valid."))]})
    return values


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1 or limit > MAX_LIMIT:
        raise ValidationFailedError(
            fields={"limit": [str(_("Choose a limit between 1 and %(max)s.") % {"max": MAX_LIMIT})]}
        )
    return limit


def keyset_page(
    queryset: models.QuerySet[T],
    *,
    ordering: str = "-id",
    limit: int | None = None,
    cursor: str | None = None,
    collect_then_sort: bool = False,
) -> Page[T]:
    """One page of `queryset` ordered by `ordering` (a field name, `-` for descending) then by id.

    `ordering` must be a non-null field; the id breaks ties so no row is skipped or repeated.
    `collect_then_sort` (text fields only) orders by an expression no index provides, so the database
    gathers the matching rows by their own best index (a trigram search, a rare tag) and sorts those,
    instead of walking the sort index until a page of matches turns up — the choice for selective filters.
    """
    size = clamp_limit(limit)
    descending = ordering.startswith("-")
    field = ordering.lstrip("-")
    order: list[Any] = [f"-{field}", "-id"] if descending else [field, "id"]
    if field == "id":
        order = order[:1]
    elif collect_then_sort:
        expression = Concat(models.F(field), models.Value(""), output_field=models.TextField())
        order[0] = expression.desc() if descending else expression.asc()
    qs = queryset.order_by(*order)
    if cursor:
        values = _decode(cursor)
        try:
            if field == "id":
                (last_id,) = values
                qs = qs.filter(id__lt=last_id) if descending else qs.filter(id__gt=last_id)
            else:
                last_value, last_id = values
                model_field = queryset.model._meta.get_field(field)
                if isinstance(model_field, models.DateTimeField) and isinstance(last_value, str):
                    last_value = parse_datetime(last_value)
                    if last_value is None:
                        raise ValueError
                op = "lt" if descending else "gt"
                # The first condition is implied by the second; it is there because a database uses a
                # plain range as the start of an index scan, while the OR alone is checked row by row
                # from the start of the index (deep pages then cost as much as reading up to them).
                qs = qs.filter(
                    models.Q(**{f"{field}__{op}e": last_value}),
                    models.Q(**{f"{field}__{op}": last_value})
                    | models.Q(**{field: last_value, f"id__{op}": last_id}),
                )
        except (ValueError, TypeError, OverflowError) as error:  # e.g. [1e400] decodes to infinity
            raise ValidationFailedError(fields={"cursor": [str(_("This cursor is not valid."))]}) from error
    rows = list(qs[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = cursor_of(last, ordering)
    return Page(items=rows, next_cursor=next_cursor)
