"""Fast multi-row inserts for imports and seeding: the rows `QuerySet.bulk_create` would write, without its
per-value compiler work.

`bulk_create` prepares every value of every row through the SQL compiler (several calls per value) and, on
SQLite, splits the rows into statements of at most 999 parameters — 24 contacts a statement. For an import
of many thousands of rows that is most of the time spent. These helpers convert only the values whose
database form differs from their Python form (dates, JSON, decimals…, found once per field), send as many
rows per statement as the database allows, and read the new primary keys back with `RETURNING` (in row
order, as `bulk_create` itself relies on, on both databases).

They write exactly the given values: no signals, no `auto_now`, no validation — callers validate first (the
importer checks every record's filled fields) and set timestamps themselves. A value object must not change
while the rows are read: a column's value seen again is not converted again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from django.db import connections, models, router

# Internal types whose Python values the drivers take as they are (None included).
_AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "EmailField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallAutoField",
        "SmallIntegerField",
        "TextField",
        "URLField",
    }
)
# Parameters one statement may carry: SQLite ≥ 3.32 allows 32,766, PostgreSQL's protocol 65,535.
_MAX_PARAMS = {"sqlite": 32_000, "postgresql": 65_000}
_MAX_ROWS = 2_000
_NOTHING = object()


def _converters(fields: Sequence[models.Field[Any, Any]]) -> list[Any]:
    out = []
    for field in fields:
        plain = field.get_internal_type() in _AS_IS and (
            not field.is_relation or cast(Any, field).target_field.get_internal_type() in _AS_IS
        )
        out.append(None if plain else field)
    return out


def _fields(model: type[models.Model], names: Sequence[str] | None) -> list[models.Field[Any, Any]]:
    opts = model._meta
    if names is None:
        return [f for f in opts.concrete_fields if not f.primary_key]
    return [opts.get_field(name) for name in names]  # type: ignore[misc]


def _placeholders(rows: int, width: int, native: bool) -> str:
    if not native:
        one = "(" + ", ".join(["%s"] * width) + ")"
        return ", ".join([one] * rows)
    return ", ".join(
        "(" + ", ".join(f"${n}" for n in range(row * width + 1, row * width + width + 1)) + ")"
        for row in range(rows)
    )


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    returning: bool = False,
    ignore_conflicts: bool = False,
) -> list[Any]:
    """Insert `rows` (tuples of Python values for the fields named in `columns`) into `model`'s table; the
    other fields get their defaults (a callable default is called once for all the rows). Returns the new
    primary keys in row order when `returning`, else an empty list."""
    if returning and ignore_conflicts:
        raise ValueError("Rows skipped on a conflict return no key: keys could not be matched to rows.")
    connection = connections[router.db_for_write(model)]
    fields = _fields(model, columns)
    named = {f.name for f in fields}
    omitted = [f for f in _fields(model, None) if f.name not in named]
    defaults = tuple(f.get_default() for f in omitted)
    fields += omitted
    converters = _converters(fields)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(f.column or f.name) for f in fields)
    per_statement = max(1, min(_MAX_ROWS, _MAX_PARAMS.get(connection.vendor, 999) // max(1, len(fields))))
    width = len(fields)
    native = connection.vendor == "postgresql"
    conflict = ""
    if ignore_conflicts:
        conflict = " ON CONFLICT DO NOTHING"
    pk_column = model._meta.pk.column if model._meta.pk else "id"
    tail = f" RETURNING {quote(pk_column or 'id')}" if returning else ""
    keys: list[Any] = []
    chunk: list[Any] = []
    count = 0

    def flush() -> None:
        nonlocal chunk, count
        if not count:
            return
        # Only quoted identifiers and placeholders are spliced in; every value is a parameter.
        sql = f"INSERT INTO {table} ({names}) VALUES {_placeholders(count, width, native)}{conflict}{tail}"  # noqa: S608
        if native:
            import psycopg  # PostgreSQL's driver, only needed there

            # psycopg's own cursor with PostgreSQL's $n placeholders: the client-side cursor Django uses
            # parses a query of 30,000 %s in Python, which took a third of an import's time.
            connection.ensure_connection()
            with connection.wrap_database_errors, psycopg.RawCursor(connection.connection) as raw:
                raw.execute(sql, chunk)
                if returning:
                    keys.extend(row[0] for row in raw.fetchall())
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql, chunk)
                if returning:
                    keys.extend(row[0] for row in cursor.fetchall())
        chunk, count = [], 0

    # Per column, the last value converted and its database form: a batch's timestamp is one object on
    # every row, and most JSON values are the same empty list or dict.
    last_in: list[Any] = [_NOTHING] * width
    last_out: list[Any] = [None] * width
    for row in rows:
        for column, (value, field) in enumerate(
            zip((*row, *defaults) if defaults else row, converters, strict=True)
        ):
            if field is None or value is None:
                chunk.append(value)
            elif value is last_in[column] or (
                not value and type(value) is type(last_in[column]) and value == last_in[column]
            ):
                chunk.append(last_out[column])
            else:
                prepared = field.get_db_prep_save(value, connection)
                last_in[column], last_out[column] = value, prepared
                chunk.append(prepared)
        count += 1
        if count >= per_statement:
            flush()
    flush()
    return keys


def insert_objects(
    model: type[models.Model], objects: Sequence[models.Model], fields: Sequence[str] | None = None
) -> None:
    """Insert unsaved model instances (every concrete field but the primary key, or the named `fields`)
    and set their primary keys, like `bulk_create` does."""
    if not objects:
        return
    chosen = _fields(model, fields)
    attnames = [f.attname for f in chosen]
    keys = insert_rows(
        model,
        [f.name for f in chosen],
        ([getattr(obj, name) for name in attnames] for obj in objects),
        returning=True,
    )
    db = router.db_for_write(model)
    for obj, key in zip(objects, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = db
