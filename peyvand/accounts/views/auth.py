"""Sign in and out, passwords, language, the home page and switching workspaces."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts import access, services
from peyvand.accounts.decorators import member_required
from peyvand.accounts.forms import LoginForm
from peyvand.accounts.middleware import INVITE_PATH, SESSION_WORKSPACE_KEY, first_membership
from peyvand.accounts.models import Membership
from peyvand.core import throttle
from peyvand.core.audit import audit
from peyvand.core.calendars import format_datetime
from peyvand.core.context import Channel, acting_through
from peyvand.core.models import AuditEntry


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def login_view(request: HttpRequest) -> HttpResponse:
    """E-mail + password. After PEYVAND_LOGIN_MAX_FAILURES failures for an address (or from an IP, at 4×
    that), sign-in is refused for PEYVAND_LOGIN_LOCK_SECONDS with a clear message."""
    if getattr(request, "member", None) is not None:
        return redirect("home")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    form = LoginForm(request, data=request.POST or None)
    locked_until = None
    if request.method == "POST":
        email_key = f"login:email:{str(request.POST.get('email', '')).strip().lower()}"
        ip_key = f"login:ip:{_client_ip(request)}"
        locked_until = throttle.blocked_until(email_key) or throttle.blocked_until(ip_key)
        if locked_until is None and form.is_valid() and form.user is not None:
            member = first_membership(form.user)
            if member is None and next_url.startswith(INVITE_PATH):
                throttle.reset(email_key)
                login(request, form.user)  # no workspace yet: only to accept the invitation
                return HttpResponseRedirect(next_url)
            if member is None:
                form.add_error(
                    None, _("Your account has no active workspace. Ask a workspace admin to invite you.")
                )
            else:
                throttle.reset(email_key)
                login(request, form.user)  # rotates the session id
                request.session[SESSION_WORKSPACE_KEY] = member.workspace_id
                with acting_through(Channel.UI):
                    audit(actor=member, record=member, action=AuditEntry.Action.LOGIN)
                if member.language:
                    translation.activate(member.language)
                if not url_has_allowed_host_and_scheme(
                    next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                ):
                    next_url = ""
                response = HttpResponseRedirect(next_url or reverse_lazy("home"))
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    member.effective_language,
                    samesite="Lax",
                    secure=settings.PRODUCTION,
                    max_age=365 * 24 * 3600,
                )
                return response
        elif locked_until is None:
            limit = settings.PEYVAND_LOGIN_MAX_FAILURES
            window = settings.PEYVAND_LOGIN_LOCK_SECONDS
            blocked = throttle.record_hit(email_key, limit=limit, window_seconds=window)
            blocked = throttle.record_hit(ip_key, limit=limit * 4, window_seconds=window) or blocked
            if blocked:
                locked_until = throttle.blocked_until(email_key) or throttle.blocked_until(ip_key)
    status = 200
    lock_message = ""
    if locked_until is not None:
        status = 429
        lock_message = _("Too many failed sign-in attempts. Try again after %(time)s.") % {
            "time": format_datetime(locked_until)
        }
        form = LoginForm(request, initial={"email": request.POST.get("email", "")})
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": next_url, "lock_message": lock_message},
        status=status,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("accounts:login")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered per member (and in a cookie before sign-in)."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return redirect("home")
    member = getattr(request, "member", None)
    if member is not None:
        services.member_set_language(member=member, language=language)
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = redirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        samesite="Lax",
        secure=settings.PRODUCTION,
        max_age=365 * 24 * 3600,
    )
    return response


@member_required
def home(request: HttpRequest) -> HttpResponse:
    member: Membership = request.member  # type: ignore[attr-defined]
    from peyvand.accounts import selectors

    context = {
        "members_count": access.members_visible_to(member).filter(is_active=True).count(),
        "teams_count": access.teams_visible_to(member).count(),
        "recent": list(selectors.audit_list(member).select_related("actor__user")[:8]),
        "today": timezone.localdate(),
    }
    return render(request, "accounts/home.html", context)


@member_required
@require_POST
def workspace_switch(request: HttpRequest) -> HttpResponse:
    try:
        workspace_id = int(request.POST.get("workspace_id", ""))
    except ValueError:
        return redirect("home")
    target = access.workspaces_of_user(request.user).filter(workspace_id=workspace_id).first()
    if target is None:
        messages.error(request, _("You are not a member of that workspace."))
        return redirect("home")
    request.session[SESSION_WORKSPACE_KEY] = target.workspace_id
    request.session.cycle_key()
    response = redirect("home")
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, target.effective_language, samesite="Lax", secure=settings.PRODUCTION
    )
    return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        member = getattr(self.request, "member", None)
        if member is not None:
            audit(
                actor=member,
                record=member.user,
                action=AuditEntry.Action.UPDATE,
                changes={"password": ["•••", "•••"]},
                workspace_id=member.workspace_id,
            )
        messages.success(self.request, _("Your password was changed."))
        return response


password_change = member_required(PasswordChangeView.as_view())


def password_change_done(request: HttpRequest) -> HttpResponse:
    return redirect("home")


password_reset = auth_views.PasswordResetView.as_view(
    template_name="accounts/password_reset.html",
    email_template_name="accounts/email/password_reset.txt",
    subject_template_name="accounts/email/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)
