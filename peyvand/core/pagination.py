"""Keyset pagination: a page is the rows after the last row seen, in a fixed (value, id) order.

A cursor is opaque to clients (URL-safe base64 of JSON). Query count does not depend on the page size,
and deep pages cost the same as the first one.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
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
    plain = [
        v.isoformat() if isinstance(v, datetime.datetime) else str(v) if isinstance(v, decimal.Decimal) else v
        for v in values
    ]
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


def _ordered(
    queryset: models.QuerySet[T], ordering: str, collect: bool, field: str | None = None
) -> models.QuerySet[T]:
    descending = ordering.startswith("-")
    field = field or ordering.lstrip("-")
    order: list[Any] = [f"-{field}", "-id"] if descending else [field, "id"]
    if field == "id":
        order = order[:1]
    elif collect:
        expression = Concat(models.F(field), models.Value(""), output_field=models.TextField())
        order[0] = expression.desc() if descending else expression.asc()
    return queryset.order_by(*order)


def _cursor_values(queryset: models.QuerySet[Any], ordering: str, cursor: str) -> list[Any]:
    values = _decode(cursor)
    field = ordering.lstrip("-")
    try:
        if field == "id":
            (last_id,) = values
            return [int(last_id)]
        last_value, last_id = values
        model_field = queryset.model._meta.get_field(field)
        if isinstance(model_field, models.DateTimeField):
            last_value = parse_datetime(last_value) if isinstance(last_value, str) else None
        elif isinstance(last_value, (list, dict, bool)):
            raise TypeError
        else:
            last_value = model_field.to_python(last_value)
        if last_value is None or (isinstance(last_value, decimal.Decimal) and not last_value.is_finite()):
            raise ValueError
        return [last_value, int(last_id)]
    except (ValueError, TypeError, OverflowError, DjangoValidationError) as error:  # [1e400] is infinity
        raise ValidationFailedError(fields={"cursor": [str(_("This cursor is not valid."))]}) from error


def _beyond(
    ordering: str,
    values: list[Any],
    *,
    inclusive: bool = False,
    before: bool = False,
    field: str | None = None,
) -> models.Q:
    """Rows after the row whose ordering values are `values` (`before`: up to it; `inclusive`: it too).
    `field`: compare this field (a link's copy of the ordering field) instead of the ordering's own."""
    descending = ordering.startswith("-") != before
    field = field or ordering.lstrip("-")
    op = "lt" if descending else "gt"
    if field == "id":
        return models.Q(**{f"id__{op}{'e' if inclusive else ''}": values[0]})
    last_value, last_id = values
    # The first condition is implied by the second; it is there because a database uses a plain range as
    # the start of an index scan, while the OR alone is checked row by row from the start of the index
    # (deep pages then cost as much as reading up to them).
    return models.Q(**{f"{field}__{op}e": last_value}) & (
        models.Q(**{f"{field}__{op}": last_value})
        | models.Q(**{field: last_value, f"id__{op}{'e' if inclusive else ''}": last_id})
    )


def _collect(queryset: models.QuerySet[T], ordering: str, count: int) -> list[T]:
    """The first `count` rows in `ordering`, gathered by the filters' own indexes and sorted: the sort runs
    over ids and sort values only (no joined tables, no wide rows), then the page's rows are read by id."""
    ids = list(_ordered(queryset, ordering, True).values_list("id", flat=True)[:count])
    if not ids:
        return []
    found = {row.pk: row for row in _by_ids(queryset, ids)}
    return [found[pk] for pk in ids if pk in found]


def _by_ids(queryset: models.QuerySet[T], ids: list[int]) -> models.QuerySet[T]:
    """The rows `ids` (just selected by `queryset`) loaded as `queryset` loads rows — its related rows,
    columns and prefetches — without checking its filters again (a search's bigram condition costs
    0.1 ms a row to recompute)."""
    rows = queryset.model._base_manager.using(queryset.db).filter(pk__in=ids)
    rows.query.select_related = queryset.query.select_related
    rows.query.deferred_loading = queryset.query.deferred_loading
    return rows.prefetch_related(*getattr(queryset, "_prefetch_related_lookups", ()))


def keyset_page(
    queryset: models.QuerySet[T],
    *,
    ordering: str = "-id",
    limit: int | None = None,
    cursor: str | None = None,
    collect_then_sort: bool = False,
    walk_window: tuple[models.QuerySet[Any], int] | None = None,
    order_field: str | None = None,
) -> Page[T]:
    """One page of `queryset` ordered by `ordering` (a field name, `-` for descending) then by id.

    `ordering` must be a non-null field; the id breaks ties so no row is skipped or repeated.
    `collect_then_sort` (text fields only) orders by an expression no index provides, so the database
    gathers the matching rows by their own best index (a trigram search, a rare tag) and sorts those,
    instead of walking the sort index until a page of matches turns up — the choice for selective filters.
    `walk_window=(base, n)` does both: it walks only the next `n` rows of `base` (the same rows without the
    selective filter) in the sort index, and if they hold less than a page, collects the rest of the page
    from the rows after them — so matches bunched far along the index (Persian names after 200,000 Latin
    ones) cost a collect, not a walk through everything before them.
    `order_field` orders and pages by another column holding the same values as the ordering field — an
    alias of the queryset, e.g. a tag link's copy of its contact's sort key, whose index walks the tag's
    contacts in name order; cursors are the same either way.
    """
    size = clamp_limit(limit)
    after = _cursor_values(queryset, ordering, cursor) if cursor else None
    if order_field is not None and ordering.lstrip("-") != "id":
        qs = queryset if after is None else queryset.filter(_beyond(ordering, after, field=order_field))
        return _page(list(_ordered(qs, ordering, False, order_field)[: size + 1]), size, ordering)
    qs = queryset if after is None else queryset.filter(_beyond(ordering, after))
    edge: list[Any] | None = None
    if walk_window is not None and ordering.lstrip("-") != "id":
        base, window = walk_window
        base = base if after is None else base.filter(_beyond(ordering, after))
        found = list(
            _ordered(base, ordering, False).values_list(ordering.lstrip("-"), "id")[window - 1 : window]
        )
        edge = list(found[0]) if found else None
    if edge is None:
        rows = (
            _collect(qs, ordering, size + 1)
            if collect_then_sort
            else list(_ordered(qs, ordering, False)[: size + 1])
        )
    else:
        rows = list(
            _ordered(qs.filter(_beyond(ordering, edge, inclusive=True, before=True)), ordering, False)[
                : size + 1
            ]
        )
        if len(rows) <= size:
            rest = qs.filter(_beyond(ordering, edge))
            rows += _collect(rest, ordering, size + 1 - len(rows))
    return _page(rows, size, ordering)


def _page(rows: list[T], size: int, ordering: str) -> Page[T]:
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = cursor_of(rows[-1], ordering)
    return Page(items=rows, next_cursor=next_cursor)
