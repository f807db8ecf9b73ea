"""The contact and company lists share one shape: filters from the query string, chosen columns, keyset
pages, a count loaded on its own, and bulk actions that re-check every row."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from peyvand.accounts import policy
from peyvand.accounts.access import members_visible_to
from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.contacts import access, selectors, services
from peyvand.contacts.forms import BULK_ACTIONS, BulkForm
from peyvand.contacts.forms.merges import check_count
from peyvand.contacts.models import LifecycleStage
from peyvand.contacts.views.common import (
    ListPage,
    carried,
    hidden_for,
    member_of,
    paginate,
    query_string,
    safe_next,
)
from peyvand.contacts.views.export import export_links
from peyvand.contacts.views.presenters import (
    Column,
    RowContext,
    available_columns,
    build_rows,
    chosen_columns,
    custom_member_ids,
    member_names,
)
from peyvand.contacts.views.saved_views import list_view_query
from peyvand.core import customfields, recycle, tags
from peyvand.core.calendars import current_format, format_number
from peyvand.core.errors import DomainError, NotFoundError, PermissionDeniedError, ValidationFailedError
from peyvand.core.models import Tag

# The direction a column sorts in when first clicked.
FIRST_DIRECTION = {"name": "name", "created_at": "-created_at", "updated_at": "-updated_at"}


@dataclass(frozen=True)
class ListSpec:
    """What differs between the contact and the company list."""

    entity: str
    columns: tuple[Column, ...]
    default_columns: tuple[str, ...]
    orderings: Mapping[str, str]
    query: Callable[[Membership, selectors.ListFilters], QuerySet[Any]]
    related: tuple[str, ...]
    tags: Callable[[list[int]], dict[int, list[selectors.TagBrief]]]
    label: Callable[[Any, set[str]], str]
    access: Callable[..., Any]
    update: Callable[..., Any]
    url: (
        str  # URL name prefix: "contacts:contact" → contact_list, contact_count, contact_bulk, contact_detail
    )
    unshown: tuple[str, ...] = ()  # columns no list cell reads (search columns): not loaded
    company_link: str = "company"  # the linked company a column of that name shows (a contact's, a parent)


def url_of(spec: ListSpec, suffix: str) -> str:
    return f"{spec.url}_{suffix}"


def active_members(member: Membership) -> list[Membership]:
    members = members_visible_to(member).filter(is_active=True).select_related(None).select_related("user")
    return list(members.order_by("user__full_name", "user__email"))


def visible_tags(member: Membership) -> list[Tag]:
    return list(tags.tags_visible_to(member).order_by("name")[:500])


def _headers(spec: ListSpec, columns: list[Column], ordering: str, params: Any) -> list[dict[str, Any]]:
    """The header row: labels, sort links that flip direction, and `aria-sort` for the current one."""
    result = []
    for key, label in [("name", _("Name")), *((c.key, c.label) for c in columns)]:
        sort_key = "name" if key == "name" else next((c.sort for c in columns if c.key == key), None)
        header: dict[str, Any] = {"key": key, "label": label, "href": "", "sort": ""}
        if sort_key:
            if ordering == sort_key:
                header["sort"] = "ascending"
                target = f"-{sort_key}"
            elif ordering == f"-{sort_key}":
                header["sort"] = "descending"
                target = sort_key
            else:
                target = FIRST_DIRECTION.get(sort_key, sort_key)
            header["href"] = "?" + query_string(params, ordering=target)
        result.append(header)
    return result


def bulk_actions(member: Membership, entity: str) -> list[str]:
    """The bulk actions the member's role allows in principle (each row is checked again when applied)."""
    read_only = policy.read_only_fields(member, entity)
    may_change = member.may(Action.CHANGE, entity=entity)
    allowed = []
    if may_change and "tags" not in read_only and member.may(Action.VIEW, entity="tag"):
        allowed += ["add_tag", "remove_tag"]
    if may_change and member.may(Action.ASSIGN, entity=entity) and "owner" not in read_only:
        allowed.append("assign_owner")
    if entity == "contact" and may_change and "lifecycle_stage" not in read_only:
        allowed.append("set_lifecycle")
    if may_change and member.may(Action.DELETE, entity=entity):
        allowed.append("merge")  # the survivor is changed, the others deleted: checked on the merge screen
    if member.may(Action.DELETE, entity=entity):
        allowed.append("delete")
    return allowed


def list_context(request: HttpRequest, spec: ListSpec) -> dict[str, Any]:
    """Everything the list page (or its results partial) shows for this query string."""
    member = member_of(request)
    explicit = request.GET  # what the links and forms of the page carry (with `view=` when one is open)
    params, saved_view = list_view_query(member, spec.entity, explicit)  # what the list shows
    hidden = hidden_for(member, spec.entity)
    definitions = [
        d for d in customfields.definitions(member.workspace_id, spec.entity) if d.path not in hidden
    ]
    available = available_columns(spec.columns, definitions, hidden)
    requested = params.getlist("columns") if "columns" in params else None
    columns = chosen_columns(available, requested, spec.default_columns)
    errors: dict[str, list[str]] = {}
    ordering = "name"
    page = ListPage([], None, None)
    try:
        filters = selectors.parse_filters(params, orderings=spec.orderings)
        ordering = filters.ordering
        queryset = spec.query(member, filters).select_related(*spec.related).defer(*spec.unshown)
        page = paginate(
            queryset,
            ordering=spec.orderings[ordering],
            params=params,
            plan=selectors.page_plan(member, filters, spec.orderings[ordering], spec.entity),
        )
    except ValidationFailedError as error:
        errors = error.fields or {"": [error.message]}
    keys = {c.key for c in columns}
    ids = [r.pk for r in page.items]
    row_context = RowContext(
        region=member.workspace.country,
        currency=member.workspace.default_currency,
        members=member_names(
            member.workspace_id, custom_member_ids([d for d in definitions if d.path in keys], page.items)
        ),
        tags=spec.tags(ids) if "tags" in keys and ids else {},
        definitions={d.key: d for d in definitions},
        companies=access.shown_company_ids(member, (getattr(r, spec.company_link) for r in page.items))
        if spec.company_link in keys
        else set(),
    )
    rows = build_rows(page.items, columns, row_context, lambda record: spec.label(record, hidden))
    query = query_string(explicit)
    chosen_keys = [c.key for c in columns]
    return {
        "entity": spec.entity,
        "params": params,
        "saved_view": saved_view,
        "rows": rows,
        "columns": columns,
        "headers": _headers(spec, columns, ordering, explicit),
        "page": page,
        "errors": errors,
        "query": query,
        "ordering": ordering,
        "hidden": hidden,
        "definitions": definitions,
        "chooser": [(c, True) for c in columns] + [(c, False) for c in available if c.key not in chosen_keys],
        "column_carry": carried(explicit, drop=("columns", "cursor", "before")),
        "filter_carry": [(k, v) for k in ("view", "columns", "ordering") for v in explicit.getlist(k)],
        "count_url": reverse(url_of(spec, "count")) + ("?" + query if query else ""),
        "list_url": reverse(url_of(spec, "list")),
        "detail_url": url_of(spec, "detail"),
        "bulk_url": reverse(url_of(spec, "bulk")),
        "duplicates_url": reverse(url_of(spec, "duplicates"))
        if member.may(Action.CHANGE, entity=spec.entity)
        else "",
        "export_links": export_links(member, spec.entity, query),
        "here": request.get_full_path(),
    }


def bulk_panel(
    member: Membership,
    spec: ListSpec,
    *,
    members: list[Membership],
    tags: list[Tag],
    stages: list[LifecycleStage] | None = None,
) -> dict[str, Any]:
    """The bulk action bar: the actions the role allows and the choices they need (lists the page has
    loaded for its filters already)."""
    allowed = bulk_actions(member, spec.entity)
    if not allowed:
        return {}
    return {
        "actions": [(k, v) for k, v in BULK_ACTIONS if k in allowed],
        "tags": tags if "add_tag" in allowed else [],
        "members": members if "assign_owner" in allowed else [],
        "stages": (stages or []) if "set_lifecycle" in allowed else [],
    }


def count_text(request: HttpRequest, spec: ListSpec) -> str:
    """“1,234 contacts” for the query string, in the reader's digits ("" when the filters are invalid)."""
    member = member_of(request)
    try:
        params, _view = list_view_query(member, spec.entity, request.GET)
        filters = selectors.parse_filters(params, orderings=spec.orderings)
        total = spec.query(member, filters).count()
    except (ValidationFailedError, NotFoundError):
        return ""
    number = format_number(total, current_format())
    if spec.entity == "contact":
        return ngettext("%(count)s contact", "%(count)s contacts", total) % {"count": number}
    return ngettext("%(count)s company", "%(count)s companies", total) % {"count": number}


# ----------------------------------------------------------------------------- bulk actions


def _form_problems(form: forms.Form) -> str:
    return " ".join(str(m) for problems in form.errors.values() for m in problems)


def bulk_apply(request: HttpRequest, spec: ListSpec) -> HttpResponse:
    """Apply one action to the selected rows. Every row is loaded through the access function with the
    action it needs, so rows the member may not change are skipped (and counted), never changed."""
    member = member_of(request)
    allowed = bulk_actions(member, spec.entity)
    if not allowed:
        raise PermissionDeniedError()
    back = safe_next(request, request.POST.get("next"), reverse(url_of(spec, "list")))
    form = BulkForm(request.POST, actions=allowed)
    if not form.is_valid():
        messages.error(request, _form_problems(form))
        return redirect(back)
    data = form.cleaned_data
    action = data["action"]
    if action == "merge":
        return _merge_selected(request, spec, data["ids"], back)
    try:
        perform = _performer(member, spec, action, data)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    needed = {"delete": Action.DELETE}.get(action, Action.CHANGE)
    changed = unchanged = skipped = 0
    for record_id in data["ids"]:
        try:
            record = spec.access(member, record_id, needed)
            if action == "assign_owner" and not member.may(Action.ASSIGN, record):
                raise PermissionDeniedError()
            did_change = perform(record)
        except DomainError:
            skipped += 1
            continue
        if did_change:
            changed += 1
        else:
            unchanged += 1
    ctx = current_format()
    counts = {
        "changed": format_number(changed, ctx),
        "unchanged": format_number(unchanged, ctx),
        "skipped": format_number(skipped, ctx),
    }
    if skipped:
        messages.warning(
            request,
            _("%(changed)s changed, %(unchanged)s already so, %(skipped)s skipped: you may not change them.")
            % counts,
        )
    else:
        messages.success(request, _("%(changed)s changed, %(unchanged)s already so.") % counts)
    return redirect(back)


def _merge_selected(request: HttpRequest, spec: ListSpec, ids: list[int], back: str) -> HttpResponse:
    """“Merge selected”: 2 to 10 rows open the compare-and-merge screen (which checks each record)."""
    try:
        check_count(ids)
    except forms.ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    return redirect(f"{reverse(url_of(spec, 'merge'))}?ids={','.join(str(pk) for pk in ids)}")


def _performer(
    member: Membership, spec: ListSpec, action: str, data: dict[str, Any]
) -> Callable[[Any], bool]:
    """The change for one row; what it needs (the tag, owner or stage) is resolved once, up front."""
    if action == "add_tag":
        tag = tags.tags_find_or_create(actor=member, names=[data["tag_name"]])[0]
        return lambda record: services.record_tags_change(actor=member, record=record, add=[tag.name])
    if action == "remove_tag":
        old = tags.access_tag(member=member, tag_id=data["tag"])
        return lambda record: services.record_tags_change(actor=member, record=record, remove=[old])
    if action == "delete":

        def delete(record: Any) -> bool:
            recycle.soft_delete(actor=member, record=record)
            return True

        return delete
    if action == "assign_owner":
        changes: dict[str, Any] = {"owner": access.owner_of(member=member, owner_id=data.get("owner"))}
    else:
        changes = {
            "lifecycle_stage": access.lifecycle_stage_of(member=member, stage_id=data["lifecycle_stage"])
        }

    def update(record: Any) -> bool:
        version = record.version
        spec.update(actor=member, record=record, changes=changes)
        return bool(record.version != version)

    return update
