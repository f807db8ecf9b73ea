"""Workspace settings and creating a new workspace."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from peyvand.accounts import access, policy, services
from peyvand.accounts.decorators import member_required
from peyvand.accounts.forms import WorkspaceCreateForm, WorkspaceForm
from peyvand.accounts.middleware import SESSION_WORKSPACE_KEY
from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.core.errors import ConflictError, ValidationFailedError


def apply_service_errors(form, error: ValidationFailedError) -> None:  # type: ignore[no-untyped-def]
    """Show a service's per-field refusals on the form (fields it has), the rest as form errors."""
    for name, problems in error.fields.items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)
    if not error.fields:
        form.add_error(None, error.message)


@member_required
def workspace_settings(request: HttpRequest) -> HttpResponse:
    member: Membership = request.member  # type: ignore[attr-defined]
    workspace = access.access_workspace(member=member, action=Action.VIEW)
    can_change = member.may(Action.CHANGE, workspace, entity="workspace")
    hidden = policy.hidden_fields(member, "workspace")
    read_only = policy.read_only_fields(member, "workspace") | (
        set(services.WORKSPACE_FIELDS) if not can_change else set()
    )
    form = WorkspaceForm(request.POST or None, instance=workspace, hidden=hidden, read_only=read_only)
    status = 200
    if request.method == "POST":
        access.access_workspace(member=member, action=Action.CHANGE)
        if form.is_valid():
            changes = {
                k: v
                for k, v in form.cleaned_data.items()
                if k in services.WORKSPACE_FIELDS and k not in read_only
            }
            try:
                services.workspace_update(
                    actor=member,
                    workspace=workspace,
                    changes=changes,
                    expected_version=form.cleaned_data.get("expected_version"),
                )
            except ConflictError as error:
                form.add_error(None, error.message)
            except ValidationFailedError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Workspace settings saved."))
                return redirect("accounts:workspace_settings")
        status = 422
    return render(
        request,
        "accounts/workspace_settings.html",
        {"form": form, "can_change": can_change, "workspace": workspace},
        status=status,
    )


@member_required
def workspace_new(request: HttpRequest) -> HttpResponse:
    """Any member may start a new workspace of their own (they become its owner)."""
    member: Membership = request.member  # type: ignore[attr-defined]
    form = WorkspaceCreateForm(request.POST or None, initial={"language": member.effective_language})
    if request.method == "POST" and form.is_valid():
        try:
            workspace, _owner = services.workspace_create(user=member.user, **form.cleaned_data)
        except ValidationFailedError as error:
            apply_service_errors(form, error)
        else:
            request.session[SESSION_WORKSPACE_KEY] = workspace.pk
            messages.success(request, _("Workspace “%(name)s” created.") % {"name": workspace.name})
            return redirect("home")
    return render(
        request,
        "accounts/workspace_new.html",
        {"form": form},
        status=422 if form.is_bound and form.errors else 200,
    )
