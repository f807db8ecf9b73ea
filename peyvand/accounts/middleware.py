"""Resolve the member a browser request acts as, on every request, and apply their language/calendar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.accounts.models import Membership
from peyvand.core.calendars import (
    FormatContext,
    activate_format,
    deactivate_format,
    default_calendar,
    default_digits,
)
from peyvand.core.context import Channel, reset_channel, set_channel

SESSION_WORKSPACE_KEY = "peyvand_workspace_id"
INVITE_PATH = "/invites/"


def member_for_session(request: HttpRequest) -> Membership | None:
    """The active membership of the signed-in user in the session's workspace (None if there is none)."""
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return None
    workspace_id = request.session.get(SESSION_WORKSPACE_KEY)
    if workspace_id is None:
        return None
    return (
        Membership.objects.select_related("workspace", "role", "user")
        .filter(user=user, workspace_id=workspace_id, is_active=True)
        .first()
    )


def first_membership(user: Any) -> Membership | None:
    return (
        Membership.objects.select_related("workspace", "role", "user")
        .filter(user=user, is_active=True)
        .order_by("pk")
        .first()
    )


def activate_member_locale(request: HttpRequest, member: Membership | None) -> None:
    """Language (member's choice, else workspace's), time zone and calendar for this request."""
    if member is not None:
        language = member.effective_language
        translation.activate(language)
        request.LANGUAGE_CODE = language
        timezone.activate(member.workspace.time_zone)
        calendar = member.workspace.calendar
        if calendar == "gregorian":
            calendar = default_calendar(language)
        activate_format(
            FormatContext(
                calendar=calendar,
                digits=default_digits(language),
                language=language,
                time_zone=member.workspace.time_zone,
            )
        )
    else:
        language = translation.get_language() or "en"
        timezone.deactivate()
        activate_format(
            FormatContext(
                calendar=default_calendar(language),
                digits=default_digits(language),
                language=language,
                time_zone="UTC",
            )
        )


class MemberMiddleware:
    """Sets `request.member`. A member deactivated since the last request loses this workspace at once:
    the session moves to another active workspace of theirs, or is ended."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Per-request state lives in context variables; restore them afterwards so nothing leaks into the
        # next request served by this thread (or the next test).
        format_token = activate_format(None)
        channel_token = set_channel(Channel.SYSTEM)
        try:
            return self._handle(request)
        finally:
            deactivate_format(format_token)
            reset_channel(channel_token)
            timezone.deactivate()

    def _handle(self, request: HttpRequest) -> HttpResponse:
        request.member = None  # type: ignore[attr-defined]
        if request.path_info.startswith("/api/"):
            set_channel(Channel.API)
            return self.get_response(request)  # the API authenticates on its own (token or session)
        set_channel(Channel.UI)
        if request.user.is_authenticated:
            member = member_for_session(request)
            if member is None:
                had_workspace = SESSION_WORKSPACE_KEY in request.session
                member = first_membership(request.user) if request.user.is_active else None
                if member is None and request.path_info.startswith(INVITE_PATH) and request.user.is_active:
                    # Someone with an account but no workspace (yet) may open an invitation to join one.
                    activate_member_locale(request, None)
                    return self.get_response(request)
                if member is None:
                    logout(request)
                    if had_workspace or not request.user.is_active:
                        messages.warning(request, _("Your access has ended. Ask a workspace admin for help."))
                    return redirect("accounts:login")
                if had_workspace:
                    messages.warning(request, _("Your access to that workspace has ended."))
                request.session[SESSION_WORKSPACE_KEY] = member.workspace_id
            request.member = member  # type: ignore[attr-defined]
        activate_member_locale(request, request.member)  # type: ignore[attr-defined]
        return self.get_response(request)
