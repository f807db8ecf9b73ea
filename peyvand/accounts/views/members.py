"""Members and invites screens, and accepting an invitation."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts import access, policy, selectors, services
from peyvand.accounts.decorators import member_required
from peyvand.accounts.forms import AcceptInviteForm, InviteForm, MemberForm
from peyvand.accounts.middleware import SESSION_WORKSPACE_KEY
from peyvand.accounts.models import Membership, User
from peyvand.accounts.policy import Action
from peyvand.accounts.views.workspace import apply_service_errors
from peyvand.core.errors import ConflictError, DomainError, PermissionDeniedError, ValidationFailedError
from peyvand.core.pagination import keyset_page


@member_required
def member_list(request: HttpRequest) -> HttpResponse:
    member: Membership = request.member  # type: ignore[attr-defined]
    access.require(member, Action.VIEW, "member")
    search = request.GET.get("q", "").strip()[:100]
    status_filter = request.GET.get("status", "active")
    is_active = {"active": True, "inactive": False}.get(status_filter)
    page = keyset_page(
        selectors.member_list(member, search=search or None, is_active=is_active).order_by("id"),
        ordering="id",
        limit=50,
        cursor=request.GET.get("cursor") or None,
    )
    can_invite = member.may(Action.CREATE, entity="member")
    invite_form = InviteForm(member=member) if can_invite else None
    context = {
        "page": page,
        "search": search,
        "status_filter": status_filter,
        "invite_form": invite_form,
        "invites": list(access.invites_visible_to(member).pending().order_by("-id")[:50]),
        "hidden": policy.hidden_fields(member, "member"),
        "new_invite_link": request.session.pop("new_invite_link", None),
    }
    return render(request, "accounts/members.html", context)


@member_required
@require_POST
def member_invite(request: HttpRequest) -> HttpResponse:
    member: Membership = request.member  # type: ignore[attr-defined]
    access.require(member, Action.CREATE, "member")
    form = InviteForm(request.POST, member=member)
    if form.is_valid():
        try:
            _invite, raw = services.invite_create(
                actor=member,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                teams=form.cleaned_data["teams"],
            )
        except (ConflictError, PermissionDeniedError) as error:
            form.add_error("email", error.message)
        except ValidationFailedError as error:
            apply_service_errors(form, error)
        else:
            request.session["new_invite_link"] = settings.SITE_URL + reverse(
                "accounts:invite_accept", args=[raw]
            )
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("accounts:members")
    page = keyset_page(selectors.member_list(member, is_active=True), ordering="id", limit=50)
    context = {
        "page": page,
        "invite_form": form,
        "status_filter": "active",
        "invites": list(access.invites_visible_to(member).pending().order_by("-id")[:50]),
        "hidden": policy.hidden_fields(member, "member"),
    }
    return render(request, "accounts/members.html", context, status=422)


@member_required
def member_edit(request: HttpRequest, member_id: int) -> HttpResponse:
    member: Membership = request.member  # type: ignore[attr-defined]
    target = access.access_member(member=member, member_id=member_id)
    can_edit = member.may(Action.CHANGE, target) or member.may(Action.ASSIGN, target)
    form = MemberForm(request.POST or None, member=member, target=target)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDeniedError()
        if form.is_valid():
            role = form.cleaned_data["role"] if member.may(Action.ASSIGN, target) else None
            teams = list(form.cleaned_data["teams"]) if member.may(Action.CHANGE, target) else None
            try:
                services.member_update(
                    actor=member,
                    member=target,
                    role=role,
                    teams=teams,
                    expected_version=form.cleaned_data.get("expected_version"),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Member updated."))
                return redirect("accounts:members")
    context = {
        "target": target,
        "form": form,
        "can_edit": can_edit,
        "can_deactivate": member.may(Action.DELETE, target) and target.pk != member.pk,
        "hidden": policy.hidden_fields(member, "member"),
    }
    return render(request, "accounts/member_edit.html", context, status=422 if form.errors else 200)


@member_required
@require_POST
def member_deactivate(request: HttpRequest, member_id: int) -> HttpResponse:
    member: Membership = request.member  # type: ignore[attr-defined]
    target = access.access_member(member=member, member_id=member_id, action=Action.DELETE)
    if target.pk == member.pk:
        messages.error(request, _("You cannot deactivate yourself."))
        return redirect("accounts:member_edit", member_id=target.pk)
    try:
        services.member_deactivate(actor=member, member=target)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s was deactivated.") % {"name": target.user.display_name})
    return redirect("accounts:members")


@member_required
@require_POST
def member_reactivate(request: HttpRequest, member_id: int) -> HttpResponse:
    member: Membership = request.member  # type: ignore[attr-defined]
    target = access.access_member(member=member, member_id=member_id, action=Action.DELETE)
    services.member_reactivate(actor=member, member=target)
    messages.success(request, _("%(name)s was reactivated.") % {"name": target.user.display_name})
    return redirect("accounts:members")


@member_required
@require_POST
def invite_revoke(request: HttpRequest, invite_id: int) -> HttpResponse:
    member: Membership = request.member  # type: ignore[attr-defined]
    invite = access.access_invite(member=member, invite_id=invite_id)
    services.invite_revoke(actor=member, invite=invite)
    messages.success(request, _("Invitation to %(email)s revoked.") % {"email": invite.email})
    return redirect("accounts:members")


def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the invitation e-mail: create an account, or join as the signed-in user."""
    try:
        invite = services.invite_find(token)
    except DomainError as error:
        return render(request, "accounts/invite_invalid.html", {"message": error.message}, status=410)
    user = request.user if request.user.is_authenticated else None
    existing_account = user is None and User.objects.filter(email__iexact=invite.email).exists()
    form = AcceptInviteForm(request.POST or None, email=invite.email)
    error_message = ""
    if request.method == "POST" and not existing_account and (user is not None or form.is_valid()):
        try:
            membership = services.invite_accept(
                raw_token=token,
                user=user,  # type: ignore[arg-type]
                full_name=form.cleaned_data.get("full_name", "") if user is None else "",
                password=form.cleaned_data.get("password", "") if user is None else "",
            )
        except ValidationFailedError as error:
            apply_service_errors(form, error)
        except DomainError as error:
            error_message = error.message
        else:
            if user is None:
                login(request, membership.user, backend="peyvand.accounts.backends.EmailBackend")
            request.session[SESSION_WORKSPACE_KEY] = membership.workspace_id
            messages.success(request, _("Welcome to %(workspace)s!") % {"workspace": invite.workspace.name})
            return redirect("home")
    context = {
        "invite": invite,
        "form": form,
        "signed_in_user": user,
        "existing_account": existing_account,
        "error_message": error_message,
    }
    return render(
        request, "accounts/invite_accept.html", context, status=422 if (form.errors or error_message) else 200
    )
