"""Saved view screens of the contact and company lists: the Views menu and the save panel on the list,
saving the current filters, updating a view with them, renaming / (un)sharing / deleting, and the manage
screen. The rules are in contacts/saved_views.py; these views parse, call it and answer."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from peyvand.accounts.decorators import member_required
from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.contacts import saved_views
from peyvand.contacts.forms.saved_views import SavedViewForm
from peyvand.contacts.models import SavedView
from peyvand.contacts.views.common import (
    apply_errors,
    error_text,
    form_status,
    is_htmx,
    list_params,
    member_of,
    safe_next,
)
from peyvand.core.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)

MENU_MAX = 100  # views per group in the menu; the manage screen lists them all
LIST_URLS = {"contact": "contacts:contact_list", "company": "contacts:company_list"}
PREFIX = {"contact": "contacts:contact_view", "company": "contacts:company_view"}


def url_of(entity: str, suffix: str, *args: Any) -> str:
    """`contacts:contact_views`, `contacts:company_view_edit` … for the entity."""
    name = f"{PREFIX[entity]}s" if suffix == "list" else f"{PREFIX[entity]}_{suffix}"
    return reverse(name, args=args)


def view_url(view: SavedView) -> str:
    """The list with the view applied."""
    return f"{reverse(LIST_URLS[view.entity])}?view={view.pk}"


def _require_view(member: Membership, entity: str) -> None:
    if not member.may(Action.VIEW, entity=entity):
        raise PermissionDeniedError()


def _view_of(member: Membership, entity: str, view_id: int, action: str = "view") -> SavedView:
    """A view the member sees, of this list's record type (a view of the other list is not found here)."""
    _require_view(member, entity)
    view = saved_views.access_view(member=member, view_id=view_id, action=action)
    if view.entity != entity:
        raise NotFoundError(_("Saved view not found."))
    return view


def savable_query(params: QueryDict) -> str:
    """The list's query as a view would keep it (paging and the view itself left out)."""
    return list_params(params, drop=("view", "cursor", "before")).urlencode()


def list_view_query(member: Membership, entity: str, params: QueryDict) -> tuple[QueryDict, SavedView | None]:
    """The query the list shows (a `view=` applied, other parameters on top); a view of the other list is
    not found, as on every screen."""
    try:
        return saved_views.view_query(member, entity, params)
    except ValidationFailedError as error:
        raise NotFoundError(_("Saved view not found.")) from error


def _save_form(member: Membership, data: Any = None, *, query: str = "") -> SavedViewForm:
    return SavedViewForm(
        data,
        initial={"query": query},
        allow_share=saved_views.may_share(member),
        with_query=True,
        auto_id="pv-save-view-%s",
    )


def menu_context(
    member: Membership, entity: str, context: dict[str, Any], form_fields: Any
) -> dict[str, Any]:
    """What the list page adds for saved views: the Views menu (the member's own views, then views others
    shared), the active view with what the member may do with it, whether the filters now differ from it,
    and the save panel. `form_fields` are the filter form's inputs: a view's filters among them get an
    empty twin in the form, so clearing an input clears the view's filter (see saved_views.merge_query)."""
    params: QueryDict = context["params"]
    view: SavedView | None = context["saved_view"]
    visible = list(saved_views.views_visible_to(member, entity).order_by("name", "id")[: 2 * MENU_MAX + 1])
    mine = [v for v in visible if v.owner_id == member.pk]
    others = [v for v in visible if v.owner_id != member.pk]
    query = savable_query(params)
    result: dict[str, Any] = {
        "views_mine": mine[:MENU_MAX],
        "views_shared": others[:MENU_MAX],
        "views_more": len(visible) > 2 * MENU_MAX or len(mine) > MENU_MAX or len(others) > MENU_MAX,
        "views_manage_url": url_of(entity, "list"),
        "view_save_url": url_of(entity, "save"),
        "save_form": _save_form(member, query=query),
        "saved_query": query,
        "all_label": _("All contacts") if entity == "contact" else _("All companies"),
        "view_keys": [],
        "view_manageable": False,
    }
    if view is not None:
        stored = QueryDict(view.query)
        allowed = saved_views.view_permissions(member, view)
        result |= {
            "view_perms": allowed,
            "view_manageable": allowed.change or allowed.unshare or allowed.delete,
            "view_modified": saved_views.view_is_modified(view, params),
            "view_edit_url": url_of(entity, "edit", view.pk),
            "view_filters_url": url_of(entity, "filters", view.pk),
            "view_reset_url": view_url(view),
            "view_keys": [name for name in stored if name in form_fields],
        }
    return result


# ----------------------------------------------------------------------------- the manage screen


def _manage(request: HttpRequest, entity: str) -> HttpResponse:
    member = member_of(request)
    _require_view(member, entity)
    views = list(saved_views.views_visible_to(member, entity).order_by("name", "id"))
    rows = [(v, saved_views.view_permissions(member, v)) for v in views]
    context = {
        "entity": entity,
        "title": _("Saved contact views") if entity == "contact" else _("Saved company views"),
        "list_url": reverse(LIST_URLS[entity]),
        "mine": [(v, p) for v, p in rows if v.owner_id == member.pk],
        "others": [(v, p) for v, p in rows if v.owner_id != member.pk],
        "may_share": saved_views.may_share(member),
        "edit_name": f"{PREFIX[entity]}_edit",
        "delete_name": f"{PREFIX[entity]}_delete",
    }
    return render(request, "contacts/saved_views/manage.html", context)


@member_required
def contact_views(request: HttpRequest) -> HttpResponse:
    return _manage(request, "contact")


@member_required
def company_views(request: HttpRequest) -> HttpResponse:
    return _manage(request, "company")


# ----------------------------------------------------------------------------- save the current filters


def _save(request: HttpRequest, entity: str) -> HttpResponse:
    """GET: the save form for the query string given (the no-script way in). POST: save; htmx answers the
    form again with its problems (422) or sends the browser to the list with the new view."""
    member = member_of(request)
    _require_view(member, entity)
    if request.method == "POST":
        form = _save_form(member, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                view = saved_views.saved_view_create(
                    actor=member,
                    entity=entity,
                    name=data["name"],
                    query=data["query"],
                    shared=data.get("shared", False),
                )
            except DomainError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
                if is_htmx(request):
                    return HttpResponseClientRedirect(view_url(view))
                return redirect(view_url(view))
    else:
        form = _save_form(member, query=savable_query(request.GET))
    context = {
        "entity": entity,
        "save_form": form,
        "view_save_url": url_of(entity, "save"),
        "list_url": reverse(LIST_URLS[entity]),
        "saved_query": form["query"].value() or "",
    }
    template = (
        "contacts/saved_views/_save_form.html" if is_htmx(request) else "contacts/saved_views/save.html"
    )
    return render(request, template, context, status=form_status(form))


@member_required
def contact_view_save(request: HttpRequest) -> HttpResponse:
    return _save(request, "contact")


@member_required
def company_view_save(request: HttpRequest) -> HttpResponse:
    return _save(request, "company")


# ----------------------------------------------------------------------------- update with the filters


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _filters(request: HttpRequest, entity: str, view_id: int) -> HttpResponse:
    """“Update view”: the view takes the list's current query. Refusals go back to the list as a message."""
    member = member_of(request)
    view = _view_of(member, entity, view_id, "change")
    back = safe_next(request, request.POST.get("next"), view_url(view))
    try:
        saved_views.saved_view_update(
            actor=member,
            view=view,
            changes={"query": request.POST.get("query", "")},
            expected_version=_version(request),
        )
    except DomainError as error:
        messages.error(request, error_text(error))
        return redirect(back)
    messages.success(request, _("View “%(name)s” updated.") % {"name": view.name})
    return redirect(view_url(view))


@member_required
@require_POST
def contact_view_filters(request: HttpRequest, view_id: int) -> HttpResponse:
    return _filters(request, "contact", view_id)


@member_required
@require_POST
def company_view_filters(request: HttpRequest, view_id: int) -> HttpResponse:
    return _filters(request, "company", view_id)


# ----------------------------------------------------------------------------- rename, (un)share, delete


def _edit(request: HttpRequest, entity: str, view_id: int) -> HttpResponse:
    """Rename and (un)share a view; the delete button is on this page too. 403 for a view the member sees
    but may do nothing with."""
    member = member_of(request)
    view = _view_of(member, entity, view_id)
    allowed = saved_views.view_permissions(member, view)
    if not (allowed.change or allowed.unshare or allowed.delete):
        raise PermissionDeniedError(_("Only its owner may change this view."))
    form = SavedViewForm(
        request.POST if request.method == "POST" else None,
        initial={"name": view.name, "shared": view.shared, "expected_version": view.version},
        allow_share=allowed.share or (view.shared and allowed.unshare),
        with_query=False,
    )
    if not allowed.change:
        form.fields["name"].disabled = True
    if request.method == "POST":
        view = _view_of(member, entity, view_id, "change")
        if form.is_valid():
            data = form.cleaned_data
            changes: dict[str, Any] = {}
            if allowed.change:
                changes["name"] = data["name"]
            if "shared" in form.fields:
                changes["shared"] = data["shared"]
            try:
                saved_views.saved_view_update(
                    actor=member, view=view, changes=changes, expected_version=data.get("expected_version")
                )
            except ConflictError as error:
                form.add_error(None, error.message)
            except DomainError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
                return redirect(url_of(entity, "list"))
    context = {
        "entity": entity,
        "view": view,
        "form": form,
        "allowed": allowed,
        "open_url": view_url(view),
        "manage_url": url_of(entity, "list"),
        "delete_url": url_of(entity, "delete", view.pk),
    }
    return render(request, "contacts/saved_views/edit.html", context, status=form_status(form))


@member_required
def contact_view_edit(request: HttpRequest, view_id: int) -> HttpResponse:
    return _edit(request, "contact", view_id)


@member_required
def company_view_edit(request: HttpRequest, view_id: int) -> HttpResponse:
    return _edit(request, "company", view_id)


def _delete(request: HttpRequest, entity: str, view_id: int) -> HttpResponse:
    member = member_of(request)
    view = _view_of(member, entity, view_id, "delete")
    saved_views.saved_view_delete(actor=member, view=view)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect(url_of(entity, "list"))


@member_required
@require_POST
def contact_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    return _delete(request, "contact", view_id)


@member_required
@require_POST
def company_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    return _delete(request, "company", view_id)
