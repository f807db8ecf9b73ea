"""Teams, roles, API tokens, the audit log, record history and the recycle bin."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts import access, selectors, services
from peyvand.accounts.decorators import member_required
from peyvand.accounts.forms import AuditFilterForm, RoleForm, TeamForm, TokenForm
from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.accounts.views.workspace import apply_service_errors
from peyvand.core import recycle
from peyvand.core.errors import DomainError, NotFoundError, PermissionDeniedError, ValidationFailedError
from peyvand.core.pagination import keyset_page


def _member(request: HttpRequest) -> Membership:
    return request.member  # type: ignore[attr-defined,no-any-return]


# ------------------------------------------------------------------ teams


@member_required
def team_list(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    access.require(member, Action.VIEW, "team")
    can_create = member.may(Action.CREATE, entity="team")
    form = TeamForm(request.POST or None) if can_create else None
    if request.method == "POST":
        if form is None:
            raise PermissionDeniedError()
        if form.is_valid():
            try:
                services.team_create(
                    actor=member, name=form.cleaned_data["name"], description=form.cleaned_data["description"]
                )
            except ValidationFailedError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Team created."))
                return redirect("accounts:teams")
    teams = access.teams_visible_to(member).order_by("name")
    from django.db.models import Count, Q

    teams = teams.annotate(active_members=Count("members", filter=Q(members__is_active=True)))
    return render(
        request,
        "accounts/teams.html",
        {"teams": teams, "form": form},
        status=422 if form is not None and form.errors else 200,
    )


@member_required
def team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    member = _member(request)
    team = access.access_team(member=member, team_id=team_id)
    can_change = member.may(Action.CHANGE, team)
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST":
        access.access_team(member=member, team_id=team_id, action=Action.CHANGE)
        if form.is_valid():
            try:
                services.team_update(
                    actor=member,
                    team=access.access_team(member=member, team_id=team_id),
                    changes={
                        "name": form.cleaned_data["name"],
                        "description": form.cleaned_data["description"],
                    },
                    expected_version=form.cleaned_data.get("expected_version"),
                )
            except ValidationFailedError as error:
                apply_service_errors(form, error)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Team saved."))
                return redirect("accounts:teams")
    context = {
        "team": team,
        "form": form,
        "can_change": can_change,
        "can_delete": member.may(Action.DELETE, team),
        "members": team.members.filter(is_active=True).select_related("user"),
    }
    return render(request, "accounts/team_edit.html", context, status=422 if form.errors else 200)


@member_required
@require_POST
def team_delete(request: HttpRequest, team_id: int) -> HttpResponse:
    member = _member(request)
    team = access.access_team(member=member, team_id=team_id, action=Action.DELETE)
    recycle.soft_delete(actor=member, record=team)
    messages.success(request, _("Team “%(name)s” moved to the recycle bin.") % {"name": team.name})
    return redirect("accounts:teams")


# ------------------------------------------------------------------ roles


@member_required
def role_list(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    access.require(member, Action.VIEW, "role")
    from django.db.models import Count, Q

    roles = (
        access.roles_visible_to(member)
        .annotate(active_members=Count("memberships", filter=Q(memberships__is_active=True)))
        .order_by("pk")
    )
    return render(
        request,
        "accounts/roles.html",
        {"roles": roles, "can_create": member.may(Action.CREATE, entity="role")},
    )


@member_required
def role_edit(request: HttpRequest, role_id: int | None = None) -> HttpResponse:
    member = _member(request)
    role = access.access_role(member=member, role_id=role_id) if role_id else None
    if role is None:
        access.require(member, Action.CREATE, "role")
    can_change = role is None or (member.may(Action.CHANGE, role) and not role.is_locked)
    form = RoleForm(request.POST or None, role=role, workspace_id=member.workspace_id)
    if not can_change:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST":
        if not can_change:
            raise PermissionDeniedError()
        if form.is_valid():
            data = {
                "name": form.cleaned_data["name"],
                "description": form.cleaned_data["description"],
                "permissions": form.permissions(),
                "field_rules": form.field_rules(),
            }
            try:
                if role is None:
                    role = services.role_create(actor=member, **data)
                else:
                    access.access_role(member=member, role_id=role.pk, action=Action.CHANGE)
                    role = services.role_update(
                        actor=member,
                        role=role,
                        changes=data,
                        expected_version=form.cleaned_data.get("expected_version"),
                    )
            except ValidationFailedError as error:
                apply_service_errors(form, error)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Role “%(name)s” saved.") % {"name": role.name})
                return redirect("accounts:roles")
    actions = [(a.value, a.label) for a in Action]
    context = {
        "role": role,
        "form": form,
        "can_change": can_change,
        "actions": actions,
        "can_delete": role is not None and not role.is_locked and member.may(Action.DELETE, role),
    }
    return render(request, "accounts/role_edit.html", context, status=422 if form.errors else 200)


@member_required
@require_POST
def role_delete(request: HttpRequest, role_id: int) -> HttpResponse:
    member = _member(request)
    role = access.access_role(member=member, role_id=role_id, action=Action.DELETE)
    try:
        recycle.soft_delete(actor=member, record=role)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("accounts:role_edit", role_id=role.pk)
    messages.success(request, _("Role “%(name)s” moved to the recycle bin.") % {"name": role.name})
    return redirect("accounts:roles")


# ------------------------------------------------------------------ tokens


@member_required
def token_list(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    access.require(member, Action.VIEW, "token")
    can_create = member.may(Action.CREATE, entity="token")
    form = TokenForm(request.POST or None) if can_create else None
    if request.method == "POST":
        if form is None:
            raise PermissionDeniedError()
        if form.is_valid():
            expires = form.cleaned_data.get("expires_on")
            expires_at = (
                timezone.make_aware(datetime.datetime.combine(expires, datetime.time.max))
                if expires
                else None
            )
            try:
                _token, raw = services.token_create(
                    actor=member, name=form.cleaned_data["name"], expires_at=expires_at
                )
            except ValidationFailedError as error:
                apply_service_errors(form, error)
            else:
                request.session["new_token"] = raw
                messages.success(request, _("Token created. Copy it now: it will not be shown again."))
                return redirect("accounts:tokens")
    tokens = access.tokens_visible_to(member).order_by("-id")
    context = {
        "tokens": tokens,
        "form": form,
        "new_token": request.session.pop("new_token", None),
        "now": timezone.now(),
    }
    return render(
        request, "accounts/tokens.html", context, status=422 if form is not None and form.errors else 200
    )


@member_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    member = _member(request)
    token = access.access_token(member=member, token_id=token_id, action=Action.DELETE)
    services.token_revoke(actor=member, token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:tokens")


# ------------------------------------------------------------------ audit log and history


@member_required
def audit_log(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    access.require(member, Action.VIEW, "audit")
    form = AuditFilterForm(request.GET or None, member=member)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters["actor_id"] = data["actor"].pk if data.get("actor") else None
        filters["entity"] = data.get("entity") or None
        if data.get("since"):
            filters["since"] = timezone.make_aware(
                datetime.datetime.combine(data["since"], datetime.time.min)
            )
        if data.get("until"):
            filters["until"] = timezone.make_aware(
                datetime.datetime.combine(data["until"] + datetime.timedelta(days=1), datetime.time.min)
            )
    qs = selectors.audit_list(member, **filters).select_related("actor__user")
    page = keyset_page(qs, ordering="-id", limit=50, cursor=request.GET.get("cursor") or None)
    selectors.audit_redacted(member, page.items)
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "accounts/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=422 if form.is_bound and form.errors else 200,
    )


HISTORY_ACCESS = {
    "workspace": lambda member, pk: (
        access.access_workspace(member=member) if pk == member.workspace_id else None
    ),
    "member": lambda member, pk: access.access_member(member=member, member_id=pk),
    "team": lambda member, pk: access.access_team(member=member, team_id=pk),
    "role": lambda member, pk: access.access_role(member=member, role_id=pk),
    "token": lambda member, pk: access.access_token(member=member, token_id=pk),
}


@member_required
def record_history(request: HttpRequest, entity: str, record_id: int) -> HttpResponse:
    """Every change to one record, for anyone who may see that record (hidden fields left out)."""
    member = _member(request)
    check = HISTORY_ACCESS.get(entity)
    record = check(member, record_id) if check else None
    if record is None:
        raise NotFoundError()
    entries = list(
        selectors.record_history(member, entity, record_id)
        .select_related("actor__user")
        .order_by("-id")[:500]
    )
    selectors.audit_redacted(member, entries)
    return render(request, "accounts/history.html", {"record": record, "entity": entity, "entries": entries})


# ------------------------------------------------------------------ recycle bin


def _bin_sections(member: Membership) -> list[dict[str, Any]]:
    sections = []
    for spec in recycle.bin_entities():
        if not member.may(Action.DELETE, entity=spec.name):
            continue
        rows = [
            row
            for row in recycle.deleted_rows(spec.model, member.workspace_id).select_related(
                "deleted_by__user"
            )[:200]
            if member.may(Action.DELETE, row, entity=spec.name)
        ]
        sections.append({"spec": spec, "rows": rows})
    return sections


@member_required
def recycle_bin(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    sections = _bin_sections(member)
    if not sections:
        raise PermissionDeniedError()
    return render(request, "accounts/recycle_bin.html", {"sections": sections})


def _bin_record(member: Membership, entity: str, record_id: int) -> Any:
    spec = recycle.bin_entity(entity)
    if spec is None or not member.may(Action.DELETE, entity=entity):
        raise NotFoundError()
    record = recycle.deleted_rows(spec.model, member.workspace_id).filter(pk=record_id).first()
    if record is None or not member.may(Action.DELETE, record, entity=entity):
        raise NotFoundError()
    return record


@member_required
@require_POST
def recycle_restore(request: HttpRequest, entity: str, record_id: int) -> HttpResponse:
    member = _member(request)
    record = _bin_record(member, entity, record_id)
    try:
        recycle.restore(actor=member, record=record)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("“%(name)s” restored.") % {"name": record})
    return redirect("accounts:recycle_bin")


@member_required
@require_POST
def recycle_purge(request: HttpRequest, entity: str, record_id: int) -> HttpResponse:
    member = _member(request)
    record = _bin_record(member, entity, record_id)
    recycle.purge(actor=member, record=record)
    messages.success(request, _("“%(name)s” was erased for good.") % {"name": record})
    return redirect("accounts:recycle_bin")
