"""Fixtures shared by every app's tests: a populated workspace ("world") and clients acting as its members."""

from __future__ import annotations

import types

import pytest
from django.test import Client

from peyvand.accounts import services
from peyvand.accounts.middleware import SESSION_WORKSPACE_KEY
from peyvand.accounts.models import Membership
from peyvand.accounts.tests.factories import make_member, make_workspace


@pytest.fixture
def world(db):
    """Workspace "Acme" with one member per built-in role (two reps share team "North"), a team "South",
    and a second workspace "Other" with its own owner."""
    workspace, owner = make_workspace("Acme")
    north = services.team_create(actor=owner, name="North")
    south = services.team_create(actor=owner, name="South")
    w = types.SimpleNamespace(workspace=workspace, owner=owner, north=north, south=south)
    w.admin = make_member(workspace, "admin")
    w.manager = make_member(workspace, "sales_manager", teams=[north])
    w.rep = make_member(workspace, "sales_rep", teams=[north])
    w.teammate = make_member(workspace, "sales_rep", teams=[north])
    w.outsider_rep = make_member(workspace, "sales_rep", teams=[south])
    w.support = make_member(workspace, "support_agent")
    w.read_only = make_member(workspace, "read_only")
    w.other_workspace, w.other_owner = make_workspace("Other")
    w.owner = Membership.objects.select_related("workspace", "role", "user").get(pk=owner.pk)
    return w


@pytest.fixture
def api_client_for(db):
    """`api_client_for(member)` → a client sending a fresh bearer token of `member` (None: anonymous)."""

    def build(member: Membership | None) -> Client:
        if member is None:
            return Client()
        _token, raw = services.token_create(actor=member, name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return build


@pytest.fixture
def web_client_for(db):
    """`web_client_for(member)` → a browser-like client signed in as `member` in its workspace."""

    def build(member: Membership | None) -> Client:
        client = Client()
        if member is not None:
            client.force_login(member.user)
            session = client.session
            session[SESSION_WORKSPACE_KEY] = member.workspace_id
            session.save()
        return client

    return build


def pytest_report_header(config):
    """Say which database the suite runs on (the PostgreSQL run must not silently fall back to SQLite)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    return f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database.get('HOST') or database['NAME']}"
