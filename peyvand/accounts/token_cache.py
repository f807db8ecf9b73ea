"""A per-process cache of what a bearer token resolves to, checked on every request by one raw query.

Loading the token with its membership, user, role and workspace through the ORM costs about a millisecond
of query compilation per request: most of the budget of a small API call. Instead, each request runs one
pre-written SQL statement returning a *fingerprint* of everything that decides or shapes access (revocation,
expiry, last use, member and user active flags, the versions of member, role and workspace, the user's
name and e-mail, the live team set). The cached objects are reused only while the fingerprint is identical,
so a revoked token or a deactivated member fails on the very next request, in every process.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from functools import cache
from typing import Any

from django.db import connection

from peyvand.accounts.models import ApiToken, Membership, Role, Team, User, Workspace

MAX_ENTRIES = 2048
_lock = threading.Lock()
_entries: OrderedDict[str, tuple[tuple[Any, ...], ApiToken]] = OrderedDict()


@cache
def _fingerprint_sql() -> str:
    through = Membership.teams.through._meta.db_table
    return f"""
        SELECT t.revoked_at, t.expires_at, t.last_used_at, m.is_active, m.version, u.is_active, u.email,
               u.full_name, r.version, w.version,
               (SELECT COUNT(*) FROM {through} mt JOIN {Team._meta.db_table} tm ON tm.id = mt.team_id
                 WHERE mt.membership_id = m.id AND tm.deleted_at IS NULL),
               (SELECT COALESCE(SUM(mt.team_id), 0) FROM {through} mt
                  JOIN {Team._meta.db_table} tm ON tm.id = mt.team_id
                 WHERE mt.membership_id = m.id AND tm.deleted_at IS NULL)
          FROM {ApiToken._meta.db_table} t
          JOIN {Membership._meta.db_table} m ON m.id = t.membership_id
          JOIN {User._meta.db_table} u ON u.id = m.user_id
          JOIN {Role._meta.db_table} r ON r.id = m.role_id
          JOIN {Workspace._meta.db_table} w ON w.id = m.workspace_id
         WHERE t.key_hash = %s"""  # noqa: S608 - table names come from the models, the value is a parameter


def _fingerprint(key_hash: str) -> tuple[Any, ...] | None:
    """Run the fingerprint query. On PostgreSQL it is a prepared statement: planning this join costs more
    than running it, and Django's client-side binding cursors never prepare."""
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        raw = connection.connection
        if raw.prepare_threshold is None:
            raw.prepare_threshold = 1_000_000  # allow explicit prepare=True; nothing else is auto-prepared
        with raw.cursor() as cursor:
            cursor.execute(_fingerprint_sql(), [key_hash], prepare=True)
            return cursor.fetchone()  # type: ignore[no-any-return]
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_sql(), [key_hash])
        return cursor.fetchone()  # type: ignore[no-any-return]


def _load(key_hash: str) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("membership__user", "membership__workspace", "membership__role")
        .filter(key_hash=key_hash)
        .first()
    )
    if token is not None:
        token.membership.team_ids()  # fill the cached property now, under the same fingerprint
    return token


def _copy(instance: Any) -> Any:
    """A shallow copy of a model instance with its own state and an empty related-object cache."""
    clone = instance.__class__.__new__(instance.__class__)
    clone.__dict__ = instance.__dict__.copy()
    clone._state = copy.copy(instance._state)
    clone._state.fields_cache = {}
    return clone


def _private_copy(token: ApiToken) -> ApiToken:
    """Copies of the token, membership, user, role and workspace, wired together, so a request can change
    its objects without touching the cache or another thread's request (far cheaper than deepcopy)."""
    member = token.membership
    token_copy, member_copy = _copy(token), _copy(member)
    for name in ("user", "role", "workspace"):
        member_copy._state.fields_cache[name] = _copy(getattr(member, name))
    member_copy.__dict__["_team_ids"] = list(member.team_ids())
    token_copy._state.fields_cache["membership"] = member_copy
    return token_copy  # type: ignore[no-any-return]


def token_lookup(key_hash: str) -> ApiToken | None:
    """The token with its membership graph, fresh as of this request; a private copy the caller may
    change. None when no token has this hash."""
    row = _fingerprint(key_hash)
    if row is None:
        with _lock:
            _entries.pop(key_hash, None)
        return None
    fingerprint = (connection.alias, *row)
    with _lock:
        cached = _entries.get(key_hash)
        if cached is not None and cached[0] == fingerprint:
            _entries.move_to_end(key_hash)
            return _private_copy(cached[1])
    token = _load(key_hash)
    if token is None:
        return None
    with _lock:
        _entries[key_hash] = (fingerprint, token)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return _private_copy(token)


def clear() -> None:
    with _lock:
        _entries.clear()
