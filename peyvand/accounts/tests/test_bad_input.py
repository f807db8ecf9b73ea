"""Bad input at the API edge (ARCHITECTURE §6): every refusal is the envelope {code, message, fields} with the
right status, never a 500, and leaves no half-written record behind. Stored markup stays data."""

from __future__ import annotations

import datetime
import json

import pytest
from django.conf import settings
from django.test import Client
from django.utils.html import escape

from peyvand.accounts.middleware import SESSION_WORKSPACE_KEY
from peyvand.accounts.models import Team, Workspace
from peyvand.accounts.tests.test_api_matrix import assert_envelope, assert_unchanged, db_state

API = "/api/v1"
JSON = "application/json"
XSS = "<script>alert(1)</script>"


@pytest.fixture
def owner_client(world, api_client_for):
    return api_client_for(world.owner)


def refused(client, method, path, body, *, status, field=None, code=None, content_type=JSON, **headers):
    """Send, expect a refusal `status` with the envelope (naming `field`), and no change to the database."""
    before = db_state()
    if body is None:
        response = getattr(client, method)(path, **headers)
    else:
        response = getattr(client, method)(path, body, content_type=content_type, **headers)
    assert response.status_code == status, response.content[:400]
    envelope = assert_envelope(response, code)
    if field is not None:
        assert field in envelope["fields"], envelope
    assert_unchanged(before)
    return envelope


# ---------------------------------------------------------------- e-mail addresses


@pytest.mark.parametrize(
    "email",
    [
        "not-an-email",
        "a@b",
        "@example.com",
        "someone@",
        "two words@example.com",
        "dots@example..com",
        "<script>@example.com",
        "",
        "   ",
        "x" * 250 + "@example.com",
        "a@example.com\nBcc: victim@example.com",
        ["a@example.com"],
        42,
        None,
    ],
)
def test_an_invalid_email_is_422_naming_email(world, owner_client, mailoutbox, email):
    body = {"email": email, "role_id": world.rep.role.pk}
    envelope = refused(owner_client, "post", f"{API}/invites", body, status=422, field="email")
    assert envelope["code"] == "validation_error"
    assert mailoutbox == []


# ---------------------------------------------------------------- wrong types


def _wrong_types(w):
    ws, north, rep = w.workspace.pk, w.north.pk, w.rep.pk
    return [
        ("post", f"{API}/teams", {"name": 123}, "name"),
        ("post", f"{API}/teams", {"name": ["North"]}, "name"),
        ("post", f"{API}/teams", {"name": None}, "name"),
        ("post", f"{API}/teams", {"name": {"en": "North"}}, "name"),
        ("post", f"{API}/teams", {"name": "East", "description": 7}, "description"),
        ("post", f"{API}/teams", {}, "name"),
        ("patch", f"{API}/teams/{north}", {"expected_version": "one"}, "expected_version"),
        ("patch", f"{API}/teams/{north}", {"expected_version": 1.5}, "expected_version"),
        ("patch", f"{API}/workspaces/{ws}", {"week_start": "monday"}, "week_start"),
        ("patch", f"{API}/workspaces/{ws}", {"name": 5}, "name"),
        ("patch", f"{API}/workspaces/{ws}", {"name": ""}, "name"),
        ("patch", f"{API}/workspaces/{ws}", {"name": "x" * 121}, "name"),
        ("patch", f"{API}/workspaces/{ws}", {"default_currency": "dollars"}, "default_currency"),
        ("patch", f"{API}/workspaces/{ws}", {"default_currency": "XYZ"}, "default_currency"),
        ("patch", f"{API}/workspaces/{ws}", {"time_zone": "Mars/Olympus"}, "time_zone"),
        ("patch", f"{API}/workspaces/{ws}", {"language": "klingon"}, "language"),
        ("patch", f"{API}/workspaces/{ws}", {"calendar": "mayan"}, "calendar"),
        ("patch", f"{API}/workspaces/{ws}", {"week_start": 3}, "week_start"),
        ("post", f"{API}/workspaces", {"name": True}, "name"),
        ("patch", f"{API}/members/{rep}", {"role_id": "abc"}, "role_id"),
        ("patch", f"{API}/members/{rep}", {"role_id": True}, "role_id"),
        ("patch", f"{API}/members/{rep}", {"team_ids": "1"}, "team_ids"),
        ("patch", f"{API}/members/{rep}", {"team_ids": ["north"]}, "team_ids.0"),
        ("post", f"{API}/invites", {"email": "a@example.com", "role_id": "x"}, "role_id"),
        ("post", f"{API}/invites", {"email": "a@example.com"}, "role_id"),
        ("post", f"{API}/roles", {"name": "R", "permissions": "all"}, "permissions"),
        (
            "post",
            f"{API}/roles",
            {"name": "R", "permissions": {"team": {"view": 1}}},
            "permissions.team.view",
        ),
        ("post", f"{API}/roles", {"name": "R", "permissions": {"team": ["view"]}}, "permissions.team"),
        (
            "post",
            f"{API}/roles",
            {"name": "R", "field_rules": {"member": {"email": "invisible"}}},
            "field_rules",
        ),
        ("post", f"{API}/tokens", {"name": "t", "expires_at": "tomorrow"}, "expires_at"),
        ("post", f"{API}/tokens", {"name": "t", "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
        ("post", f"{API}/tokens", {"name": "tab\there"}, "name"),
        ("post", f"{API}/tokens", {"name": "   "}, "name"),
    ]


def test_wrong_types_are_422_naming_the_field(world, owner_client):
    for method, path, body, field in _wrong_types(world):
        envelope = refused(owner_client, method, path, body, status=422, field=field)
        assert envelope["code"] == "validation_error", (path, body)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("members", {"is_active": "maybe"}, "is_active"),
        ("members", {"role_id": "admin"}, "role_id"),
        ("members", {"team_id": "north"}, "team_id"),
        ("audit-events", {"since": "yesterday"}, "since"),
        ("audit-events", {"until": "2024-13-45"}, "until"),
        ("audit-events", {"actor_id": "me"}, "actor_id"),
        ("teams/abc", {}, "team_id"),
        ("roles/1.5", {}, "role_id"),
    ],
)
def test_wrong_types_in_query_and_path_are_422(owner_client, path, params, field):
    response = owner_client.get(f"{API}/{path}", params)
    assert response.status_code == 422
    assert field in assert_envelope(response, "validation_error")["fields"]


# ---------------------------------------------------------------- unknown fields


def test_unknown_fields_are_422_naming_them(world, owner_client):
    for method, path, body, field in [
        ("post", f"{API}/teams", {"name": "East", "colour": "red"}, "colour"),
        ("post", f"{API}/teams", {"name": "East", "workspace_id": world.other_workspace.pk}, "workspace_id"),
        ("patch", f"{API}/workspaces/{world.workspace.pk}", {"owner_id": world.rep.pk}, "owner_id"),
        ("patch", f"{API}/workspaces/{world.workspace.pk}", {"version": 99}, "version"),
        ("patch", f"{API}/members/{world.rep.pk}", {"is_active": False}, "is_active"),
        ("patch", f"{API}/members/{world.rep.pk}", {"role": "admin"}, "role"),
        ("post", f"{API}/tokens", {"name": "t", "membership_id": world.owner.pk}, "membership_id"),
        ("post", f"{API}/roles", {"name": "R", "is_locked": True}, "is_locked"),
        ("post", f"{API}/roles", {"name": "R", "key": "owner"}, "key"),
        ("patch", f"{API}/roles/{world.rep.role.pk}", {"key": "owner"}, "key"),
        (
            "post",
            f"{API}/invites",
            {
                "email": "a@example.com",
                "role_id": world.rep.role.pk,
                "workspace_id": world.other_workspace.pk,
            },
            "workspace_id",
        ),
    ]:
        envelope = refused(owner_client, method, path, body, status=422, field=field)
        assert envelope["fields"][field] == ["Unknown field."]


# ---------------------------------------------------------------- values no database column holds


def test_unstorable_values_are_422_not_500(world, owner_client):
    """NUL characters (PostgreSQL refuses them), integers past 64 bits and datetimes that leave years 1-9999
    in UTC would reach the driver and fail there; the edge refuses them."""
    huge = 2**64
    for method, path, body, field in [
        ("post", f"{API}/teams", {"name": "East\x00"}, "name"),
        ("post", f"{API}/roles", {"name": "R", "description": "a\x00b"}, "description"),
        ("post", f"{API}/roles", {"name": "R", "permissions": {"team\x00": {"view": "all"}}}, "permissions"),
        ("patch", f"{API}/workspaces/{world.workspace.pk}", {"name": "\x00"}, "name"),
        ("post", f"{API}/tokens", {"name": "t", "expires_at": "9999-12-31T23:59:59-14:00"}, "expires_at"),
        ("patch", f"{API}/members/{world.rep.pk}", {"team_ids": [huge]}, "team_ids"),
        ("patch", f"{API}/members/{world.rep.pk}", {"role_id": huge}, "role_id"),
        (
            "post",
            f"{API}/invites",
            {"email": "a@example.com", "role_id": world.rep.role.pk, "team_ids": [huge]},
            "team_ids",
        ),
        ("patch", f"{API}/teams/{world.north.pk}", {"expected_version": huge}, "expected_version"),
        ("patch", f"{API}/workspaces/{world.workspace.pk}", {"week_start": huge}, "week_start"),
    ]:
        refused(owner_client, method, path, body, status=422, field=field, code="validation_error")
    for params, field in [
        ({"search": "a\x00b"}, "search"),
        ({"role_id": huge}, "role_id"),
        ({"team_id": huge}, "team_id"),
    ]:
        response = owner_client.get(f"{API}/members", params)
        assert response.status_code == 422
        assert field in assert_envelope(response)["fields"]
    for params, field in [
        ({"since": "0001-01-01T00:00:00+14:00"}, "since"),
        ({"until": "9999-12-31T23:59:59-14:00"}, "until"),
        ({"record_id": "1\x00"}, "record_id"),
        ({"actor_id": -(2**70)}, "actor_id"),
    ]:
        response = owner_client.get(f"{API}/audit-events", params)
        assert response.status_code == 422
        assert field in assert_envelope(response)["fields"]
    # a huge id in the path is simply not found
    response = owner_client.get(f"{API}/teams/{huge}")
    assert response.status_code == 404


# ---------------------------------------------------------------- body size and shape


def test_a_body_over_the_limit_is_413(owner_client):
    limit = settings.PEYVAND_MAX_BODY_BYTES
    body = json.dumps({"name": "East", "description": "x" * (limit + 1)})
    assert len(body.encode()) > limit
    envelope = refused(owner_client, "post", f"{API}/teams", body, status=413, code="payload_too_large")
    assert str(limit) in envelope["message"]
    assert not Team.objects.filter(name="East").exists()


def test_a_body_just_under_the_limit_is_read(owner_client):
    """The limit refuses only what is over it: a big but allowed body is parsed (and refused on its merits)."""
    limit = settings.PEYVAND_MAX_BODY_BYTES
    body = json.dumps({"name": "East", "description": "x" * (limit - 100)})
    assert len(body.encode()) <= limit
    refused(owner_client, "post", f"{API}/teams", body, status=422, field="description")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"name": ', JSON),
        ('{"name": "East",}', JSON),
        ("{'name': 'East'}", JSON),
        ("", JSON),
        ("null", JSON),
        ("[]", JSON),
        ('["East"]', JSON),
        ('"East"', JSON),
        ("42", JSON),
        (b'{"name": "\xff\xfe"}', JSON),
        ('{"name": "East"}{"name": "West"}', JSON),
        ("name=East", "application/x-www-form-urlencoded"),
        ("<team><name>East</name></team>", "application/xml"),
        ('{"name": NaN}', JSON),
        ("[" * 5000 + "]" * 5000, JSON),
    ],
)
def test_malformed_bodies_are_400_or_422_never_500(world, owner_client, body, content_type):
    before = db_state()
    response = owner_client.post(f"{API}/teams", body, content_type=content_type)
    assert response.status_code in (400, 422), response.content[:300]
    assert_envelope(response)
    assert_unchanged(before)


# ---------------------------------------------------------------- markup is data


def test_markup_is_stored_and_returned_as_data_and_escaped_in_pages(world, owner_client, web_client_for):
    created = owner_client.post(f"{API}/teams", {"name": XSS, "description": XSS}, content_type=JSON)
    assert created.status_code == 201
    team_id = created.json()["id"]
    assert created.json()["name"] == XSS  # returned as it was sent, as JSON data
    assert created["Content-Type"].startswith(JSON)
    assert Team.objects.get(pk=team_id).name == XSS  # stored as it was sent
    assert owner_client.get(f"{API}/teams/{team_id}").json()["name"] == XSS
    renamed = owner_client.patch(f"{API}/workspaces/{world.workspace.pk}", {"name": XSS}, content_type=JSON)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == XSS
    assert Workspace.objects.get(pk=world.workspace.pk).name == XSS
    events = owner_client.get(f"{API}/audit-events", {"entity": "team", "record_id": team_id}).json()
    assert events["items"][0]["record_label"] == XSS

    browser = web_client_for(world.owner)
    for url in (
        "/",
        "/settings/teams/",
        "/settings/audit/",
        f"/history/team/{team_id}/",
        f"/settings/teams/{team_id}/",
    ):
        page = browser.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert XSS not in html, url
        assert escape(XSS) in html, url


# ---------------------------------------------------------------- another workspace's ids


def test_another_workspaces_ids_are_404(world, owner_client):
    other_team = Team.objects.create(workspace=world.other_workspace, name="Theirs")
    other_role_id = world.other_owner.role_id
    for method, path, body in [
        ("get", f"{API}/teams/{other_team.pk}", None),
        ("patch", f"{API}/teams/{other_team.pk}", {"name": "Ours"}),
        ("delete", f"{API}/teams/{other_team.pk}", None),
        ("get", f"{API}/members/{world.other_owner.pk}", None),
        ("post", f"{API}/members/{world.other_owner.pk}/deactivate", None),
        ("patch", f"{API}/members/{world.rep.pk}", {"role_id": other_role_id}),
        ("patch", f"{API}/members/{world.rep.pk}", {"team_ids": [other_team.pk]}),
        ("post", f"{API}/invites", {"email": "a@example.com", "role_id": other_role_id}),
        ("get", f"{API}/workspaces/{world.other_workspace.pk}", None),
        ("patch", f"{API}/workspaces/{world.other_workspace.pk}", {"name": "Ours"}),
    ]:
        refused(owner_client, method, path, body, status=404, code="not_found")


# ---------------------------------------------------------------- CSRF on session-authenticated calls


def _session_client(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    session = client.session
    session[SESSION_WORKSPACE_KEY] = member.workspace_id
    session.save()
    return client


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/teams", {"name": "Forged"}),
        ("patch", "/workspaces/{ws}", {"name": "Forged"}),
        ("delete", "/teams/{north}", None),
        ("post", "/tokens", {"name": "stolen"}),
        ("post", "/members/{rep}/deactivate", None),
    ],
)
def test_session_call_without_csrf_token_is_403(world, method, path, body):
    client = _session_client(world.owner)
    url = API + path.format(ws=world.workspace.pk, north=world.north.pk, rep=world.rep.pk)
    assert client.get(f"{API}/me").status_code == 200  # the session itself is good
    refused(client, method, url, body, status=403, code="permission_denied")
    # a wrong token is no better than none
    client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
    refused(client, method, url, body, status=403, code="permission_denied", HTTP_X_CSRFTOKEN="b" * 32)


def test_session_call_with_csrf_token_goes_through(world):
    client = _session_client(world.owner)
    client.get("/settings/teams/")  # any page with a form sets the CSRF cookie
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(f"{API}/teams", {"name": "Honest"}, content_type=JSON, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201
    assert Team.objects.get(pk=response.json()["id"]).workspace_id == world.workspace.pk


def test_a_session_without_a_workspace_is_401(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner.user)
    response = client.get(f"{API}/me")
    assert response.status_code == 401
    assert_envelope(response, "not_authenticated")


# ---------------------------------------------------------------- stale versions


def test_stale_versions_refuse_without_writing(world, owner_client):
    north = Team.objects.get(pk=world.north.pk)
    path = f"{API}/teams/{north.pk}"
    refused(
        owner_client,
        "patch",
        path,
        {"name": "N", "expected_version": north.version + 1},
        status=409,
        code="conflict",
    )
    refused(
        owner_client,
        "patch",
        path,
        {"name": "N"},
        status=412,
        code="precondition_failed",
        HTTP_IF_MATCH=str(north.version + 1),
    )
    refused(owner_client, "patch", path, {"name": "N"}, status=422, field="If-Match", HTTP_IF_MATCH="latest")


def test_datetimes_round_trip_in_utc(world, owner_client):
    """An aware expiry in any offset is stored as the same instant."""
    when = datetime.datetime(
        2099, 1, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=3, minutes=30))
    )
    response = owner_client.post(
        f"{API}/tokens", {"name": "t", "expires_at": when.isoformat()}, content_type=JSON
    )
    assert response.status_code == 201
    assert datetime.datetime.fromisoformat(response.json()["expires_at"].replace("Z", "+00:00")) == when
