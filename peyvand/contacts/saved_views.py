"""Saved views: named list filters, private or shared — access, use cases and resolution to records.

A view stores the list's query string (filters, `ordering`, `columns`), so the web list, the API and later
campaigns read it with the one filter parser. Resolving a view always applies the *viewer's* permissions:
sharing a view never shares records someone may not see.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from peyvand.accounts.models import Membership
from peyvand.contacts import selectors
from peyvand.contacts.models import SavedView
from peyvand.core.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from peyvand.core.writes import record_create, record_update

# Parameters a view keeps; paging and one-off parameters (cursor, limit, htmx flags) are dropped.
_NOT_SAVED = frozenset({"cursor", "limit", "with_total", "view", "page", "csrfmiddlewaretoken"})


def views_visible_to(member: Membership, entity: str | None = None) -> QuerySet[SavedView]:
    """The member's own views and every shared view of the workspace."""
    qs = SavedView.objects.filter(workspace_id=member.workspace_id).filter(Q(owner=member) | Q(shared=True))
    if entity is not None:
        qs = qs.filter(entity=entity)
    return qs.select_related("owner__user")


def access_view(*, member: Membership, view_id: int, action: str = "view") -> SavedView:
    view = views_visible_to(member).filter(pk=view_id).first()
    if view is None:
        raise NotFoundError(_("Saved view not found."))
    if action != "view" and view.owner_id != member.pk and not member.may(action, view):
        raise PermissionDeniedError(_("Only its owner may change this view."))
    return view


def clean_query(params: Any, entity: str) -> str:
    """The savable part of a list query string, validated by the list's own filter parser."""
    data = params if isinstance(params, QueryDict) else QueryDict(str(params or ""))
    kept = [(k, v) for k in sorted(data.keys()) if k not in _NOT_SAVED for v in data.getlist(k) if v != ""]
    orderings = selectors.CONTACT_ORDERINGS if entity == "contact" else selectors.COMPANY_ORDERINGS
    selectors.parse_filters(QueryDict(urlencode(kept)), orderings=orderings)  # refuses what it cannot read
    query = urlencode(kept)
    if len(query) > 4000:
        raise ValidationFailedError(fields={"query": [_("This filter is too long to save.")]})
    return query


@transaction.atomic
def saved_view_create(
    *, actor: Membership, entity: str, name: str, query: Any, shared: bool = False
) -> SavedView:
    """Save a filter under a name (unique per owner and record type). Audited; emits saved_view.created."""
    if entity not in SavedView.Entity.values:
        raise ValidationFailedError(fields={"entity": [_("Unknown record type.")]})
    text = " ".join((name or "").split())
    if not text:
        raise ValidationFailedError(fields={"name": [_("Enter a name.")]})
    view = SavedView(
        workspace_id=actor.workspace_id,
        entity=entity,
        name=text,
        query=clean_query(query, entity),
        owner=actor,
        shared=bool(shared),
    )
    return record_create(actor=actor, record=view)


@transaction.atomic
def saved_view_update(
    *,
    actor: Membership,
    view: SavedView,
    changes: dict[str, Any],
    expected_version: int | None = None,
    precondition: bool = False,
) -> SavedView:
    """Rename, re-filter or (un)share a view. Audited; emits saved_view.updated."""
    cleaned = dict(changes)
    if "name" in cleaned:
        cleaned["name"] = " ".join(str(cleaned["name"] or "").split())
        if not cleaned["name"]:
            raise ValidationFailedError(fields={"name": [_("Enter a name.")]})
    if "query" in cleaned:
        cleaned["query"] = clean_query(cleaned["query"], view.entity)
    record_update(
        actor=actor,
        record=view,
        changes=cleaned,
        allowed=("name", "query", "shared"),
        expected_version=expected_version,
        precondition=precondition,
    )
    return view


@transaction.atomic
def saved_view_delete(*, actor: Membership, view: SavedView) -> None:
    from peyvand.core.audit import audit
    from peyvand.core.events import emit
    from peyvand.core.models import AuditEntry

    audit(actor=actor, record=view, action=AuditEntry.Action.DELETE)
    emit(view.workspace_id, "saved_view.deleted", view, {"name": view.name})
    view.delete()


def saved_view_records(member: Membership, view: SavedView) -> QuerySet[Any]:
    """The records a view selects, as `member` may see them (the segment a campaign or report uses)."""
    orderings = selectors.CONTACT_ORDERINGS if view.entity == "contact" else selectors.COMPANY_ORDERINGS
    filters = selectors.parse_filters(QueryDict(view.query), orderings=orderings)
    if view.entity == "contact":
        return selectors.contact_list(member, filters)
    return selectors.company_list(member, filters)
