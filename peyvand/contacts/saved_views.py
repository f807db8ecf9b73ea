"""Saved views: named list filters, private or shared — access, use cases and resolution to records.

A view stores the list's query string (filters, `ordering`, `columns`), so the web list, the API and later
campaigns read it with the one filter parser. Resolving a view always applies the *viewer's* permissions:
sharing a view never shares records someone may not see.

Who may do what:
- everyone sees their own views and every shared view of the workspace; another member's private view does
  not exist for them (404);
- the owner may always rename, re-filter, unshare and delete their own view;
- sharing (creating a view shared, turning sharing on, or changing a view while it is shared) needs the
  `change` action on saved views: scope `own` shares one's own views, `all` also changes and unshares
  anyone's shared views; deleting someone else's shared view needs `delete` with scope `all`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from peyvand.accounts.models import Membership
from peyvand.contacts import selectors
from peyvand.contacts.models import SavedView
from peyvand.core.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from peyvand.core.text import to_ascii_digits
from peyvand.core.writes import record_create, record_update

# Parameters a view keeps; paging and one-off parameters (cursor, limit, htmx flags) are dropped.
_NOT_SAVED = frozenset(
    {"cursor", "before", "limit", "with_total", "view", "page", "format", "csrfmiddlewaretoken"}
)
_MAX_ID = 2**63 - 1


def views_visible_to(member: Membership, entity: str | None = None) -> QuerySet[SavedView]:
    """The member's own views and every shared view of the workspace."""
    qs = SavedView.objects.filter(workspace_id=member.workspace_id).filter(Q(owner=member) | Q(shared=True))
    # A view's query tells what someone looks for among those records: not for members who may not list them.
    qs = qs.filter(entity__in=[e for e in SavedView.Entity.values if member.may("view", entity=e)])
    if entity is not None:
        qs = qs.filter(entity=entity)
    return qs.select_related("owner__user")


def access_view(*, member: Membership, view_id: int, action: str = "view") -> SavedView:
    """A view the member sees (else NotFoundError), on which they may do `action` (else
    PermissionDeniedError): its owner may do anything; others need the action's scope on saved views."""
    view = views_visible_to(member).filter(pk=view_id).first() if 0 <= view_id <= _MAX_ID else None
    if view is None:
        raise NotFoundError(_("Saved view not found."))
    if action != "view" and view.owner_id != member.pk and not member.may(action, view):
        raise PermissionDeniedError(_("Only its owner may change this view."))
    return view


def may_share(member: Membership) -> bool:
    """Whether the member's role lets them share views with the workspace (change on saved views)."""
    return member.may("change", entity="saved_view")


@dataclass(frozen=True)
class ViewPermissions:
    """What a member may do with one view they see (for menus, buttons and the API's `permissions`)."""

    change: bool  # rename and re-filter
    share: bool  # turn sharing on (or keep it on while changing the view)
    unshare: bool
    delete: bool


def view_permissions(member: Membership, view: SavedView) -> ViewPermissions:
    """The same rules `saved_view_update` and `saved_view_delete` enforce, as flags for the edges."""
    mine = view.owner_id == member.pk
    reach_change = mine or member.may("change", view)
    sharer = may_share(member)
    return ViewPermissions(
        change=reach_change and (sharer or not view.shared),
        share=reach_change and sharer,
        unshare=reach_change,
        delete=mine or member.may("delete", view),
    )


def clean_query(params: Any, entity: str) -> str:
    """The savable part of a list query string, validated by the list's own filter parser."""
    data = params if isinstance(params, QueryDict) else QueryDict(str(params or "").lstrip("?"))
    kept = [(k, v) for k in sorted(data.keys()) if k not in _NOT_SAVED for v in data.getlist(k) if v != ""]
    orderings = selectors.CONTACT_ORDERINGS if entity == "contact" else selectors.COMPANY_ORDERINGS
    selectors.parse_filters(QueryDict(urlencode(kept)), orderings=orderings)  # refuses what it cannot read
    query = urlencode(kept)
    if len(query) > 4000:
        raise ValidationFailedError(fields={"query": [_("This filter is too long to save.")]})
    return query


def view_is_modified(view: SavedView, params: Any) -> bool:
    """Whether a list query (a view's query with parameters on top) selects something else than the view
    as saved: other filters, order or columns. An unreadable query counts as modified."""
    try:
        return clean_query(params, view.entity) != view.query
    except ValidationFailedError:
        return True


def merge_query(query: str, params: Any, *, skip: Collection[str] = ("view",)) -> QueryDict:
    """A view's stored `query` with `params` on top, key by key: a parameter given replaces all of the
    view's values of that name; given only empty (`tag=`), it removes the view's filter of that name. Empty
    values beside others are dropped (a form sends `tag=` before the tags chosen). Names in `skip` are
    ignored."""
    merged = QueryDict(query, mutable=True)
    getter = getattr(params, "getlist", None)
    for key in params:
        if key in skip:
            continue
        raw = getter(key) if getter else params[key]
        values = [v for v in ([raw] if isinstance(raw, str) else [str(v) for v in raw or []]) if v != ""]
        if values:
            merged.setlist(key, values)
        else:
            merged.pop(key, None)
    return merged


def view_query(member: Membership, entity: str, params: Any) -> tuple[QueryDict, SavedView | None]:
    """The list query a request means. Without `view=` it is `params` as they are. With `view=<id>` it is
    the view's stored query with the other parameters on top (`merge_query`; paging parameters pass
    through). The view is resolved for `member`: NotFoundError for one they do not see (or a non-number),
    ValidationFailedError for a view of another kind of record."""
    data = params if isinstance(params, QueryDict) else QueryDict(urlencode(params or {}, doseq=True))
    raw = to_ascii_digits(str(data.get("view", "") or "")).strip()
    if not raw:
        return data, None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise NotFoundError(_("Saved view not found."))
    view = access_view(member=member, view_id=int(raw))
    if view.entity != entity:
        raise ValidationFailedError(fields={"view": [_("This saved view lists another kind of record.")]})
    return merge_query(view.query, data), view


def _clean_name(name: Any) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise ValidationFailedError(fields={"name": [_("Enter a name.")]})
    return text


def _refuse_taken_name(view: SavedView) -> None:
    """One owner cannot have two views of the same record type with the same name (the model's
    constraint), said on the name rather than as a whole-record error."""
    taken = SavedView.objects.filter(
        workspace_id=view.workspace_id, entity=view.entity, owner_id=view.owner_id, name=view.name
    ).exclude(pk=view.pk)
    if taken.exists():
        raise ValidationFailedError(fields={"name": [_("There is a view with this name already.")]})


def _refuse_sharing(actor: Membership) -> None:
    if not may_share(actor):
        raise PermissionDeniedError(
            _("Your role may not share views with the workspace."),
            fields={"shared": [_("Your role may not share views with the workspace.")]},
        )


@transaction.atomic
def saved_view_create(
    *, actor: Membership, entity: str, name: str, query: Any, shared: bool = False
) -> SavedView:
    """Save a filter under a name (unique per owner and record type); the actor owns it. Needs the view
    permission on the record type, and the share permission when `shared`. Audited; emits
    saved_view.created."""
    if entity not in SavedView.Entity.values:
        raise ValidationFailedError(fields={"entity": [_("Unknown record type.")]})
    if not actor.may("view", entity=entity):
        raise PermissionDeniedError(_("You may not see these records."))
    if shared:
        _refuse_sharing(actor)
    view = SavedView(
        workspace_id=actor.workspace_id,
        entity=entity,
        name=_clean_name(name),
        query=clean_query(query, entity),
        owner=actor,
        shared=bool(shared),
    )
    _refuse_taken_name(view)
    try:
        with transaction.atomic():
            return record_create(actor=actor, record=view)
    except IntegrityError as error:  # the same name saved at the same moment by another request
        raise ValidationFailedError(
            fields={"name": [_("There is a view with this name already.")]}
        ) from error


@transaction.atomic
def saved_view_update(
    *,
    actor: Membership,
    view: SavedView,
    changes: dict[str, Any],
    expected_version: int | None = None,
    precondition: bool = False,
) -> SavedView:
    """Rename, re-filter or (un)share a view the actor reached through `access_view(action="change")`.
    A view that is shared after the change needs the share permission for any change; turning sharing off
    does not. Audited; emits saved_view.updated (nothing when nothing changes)."""
    cleaned = dict(changes)
    if "name" in cleaned:
        cleaned["name"] = _clean_name(cleaned["name"])
    if "query" in cleaned:
        cleaned["query"] = clean_query(cleaned["query"], view.entity)
    if "shared" in cleaned:
        cleaned["shared"] = bool(cleaned["shared"])
    if view.owner_id != actor.pk and not actor.may("change", view):
        raise PermissionDeniedError(_("Only its owner may change this view."))
    really = {name for name, value in cleaned.items() if getattr(view, name, value) != value}
    if really and cleaned.get("shared", view.shared):
        _refuse_sharing(actor)
    if "name" in really:
        _refuse_taken_name(
            SavedView(
                pk=view.pk,
                workspace_id=view.workspace_id,
                entity=view.entity,
                owner_id=view.owner_id,
                name=cleaned["name"],
            )
        )
    try:
        with transaction.atomic():
            record_update(
                actor=actor,
                record=view,
                changes=cleaned,
                allowed=("name", "query", "shared"),
                expected_version=expected_version,
                precondition=precondition,
            )
    except IntegrityError as error:
        raise ValidationFailedError(
            fields={"name": [_("There is a view with this name already.")]}
        ) from error
    return view


@transaction.atomic
def saved_view_delete(*, actor: Membership, view: SavedView) -> None:
    """Delete a view for good (views have no recycle bin): its owner, or a member whose role deletes
    saved views with scope all. Audited; emits saved_view.deleted."""
    from peyvand.core.audit import audit
    from peyvand.core.events import emit
    from peyvand.core.models import AuditEntry

    if not view_permissions(actor, view).delete:
        raise PermissionDeniedError(_("Only its owner may delete this view."))
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
