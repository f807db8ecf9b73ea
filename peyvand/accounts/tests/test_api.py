"""Behaviour of the accounts API (ARCHITECTURE §5, §6): audit and events, versions, keyset pages, idempotency,
tokens, invites, roles taking effect, field rules, the last owner, and query counts of every list."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peyvand.accounts import services
from peyvand.accounts.models import ApiToken, Invite, Membership, Team
from peyvand.accounts.tests.factories import make_member
from peyvand.accounts.tests.test_api_matrix import assert_envelope, assert_unchanged, db_state
from peyvand.core.models import AuditEntry, OutboxEvent

API = "/api/v1"
JSON = "application/json"


def patch(client, path, body, **headers):
    return client.patch(path, body, content_type=JSON, **headers)


def post(client, path, body=None, **headers):
    if body is None:
        return client.post(path, **headers)
    return client.post(path, body, content_type=JSON, **headers)


# ---------------------------------------------------------------- audit, version, event


def test_renaming_the_workspace_is_audited_versioned_and_announced(world, api_client_for):
    workspace = world.workspace
    workspace.refresh_from_db()
    version = workspace.version
    client = api_client_for(world.owner)

    response = patch(client, f"{API}/workspaces/{workspace.pk}", {"name": "Acme Corp"})

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Acme Corp"
    assert response.json()["version"] == version + 1
    workspace.refresh_from_db()
    assert (workspace.name, workspace.version) == ("Acme Corp", version + 1)

    entry = AuditEntry.objects.filter(entity="workspace", record_id=str(workspace.pk)).latest("id")
    assert entry.action == "update"
    assert entry.channel == "api"
    assert entry.actor_id == world.owner.pk
    assert entry.workspace_id == workspace.pk
    assert entry.changes == {"name": ["Acme", "Acme Corp"]}

    renamed = OutboxEvent.objects.get(workspace=workspace, name="workspace.renamed")
    assert renamed.payload == {"from": "Acme", "to": "Acme Corp"}
    assert (renamed.entity, renamed.record_id) == ("workspace", str(workspace.pk))
    assert OutboxEvent.objects.get(workspace=workspace, name="workspace.updated").payload == {
        "fields": ["name"]
    }

    # the audit trail shows it through the API too
    events = client.get(f"{API}/audit-events", {"entity": "workspace", "record_id": workspace.pk}).json()
    assert events["items"][0]["changes"] == {"name": ["Acme", "Acme Corp"]}
    assert events["items"][0]["channel"] == "api"


def test_saving_the_same_values_changes_nothing(world, api_client_for):
    client = api_client_for(world.owner)
    before = db_state()
    response = patch(client, f"{API}/workspaces/{world.workspace.pk}", {"name": "Acme", "time_zone": "UTC"})
    assert response.status_code == 200
    assert_unchanged(before)


# ---------------------------------------------------------------- optimistic concurrency


def _versioned_targets(world):
    """(path, a change, how to read the record's version) for every PATCH endpoint."""
    return {
        "workspace": (f"{API}/workspaces/{world.workspace.pk}", {"name": "Changed"}, world.workspace),
        "team": (f"{API}/teams/{world.north.pk}", {"description": "Changed"}, world.north),
        "role": (
            f"{API}/roles/{world.read_only.role.pk}",
            {"description": "Changed"},
            world.read_only.role,
        ),
        "member": (f"{API}/members/{world.rep.pk}", {"team_ids": [world.south.pk]}, world.rep),
    }


@pytest.mark.parametrize("target", ["workspace", "team", "role", "member"])
def test_stale_if_match_is_412_and_stale_body_version_is_409(world, api_client_for, target):
    path, change, record = _versioned_targets(world)[target]
    record.refresh_from_db()
    current = record.version
    client = api_client_for(world.owner)

    before = db_state()
    response = patch(client, path, change, HTTP_IF_MATCH=str(current - 1 or 99))
    assert response.status_code == 412
    assert_envelope(response, "precondition_failed")
    response = patch(client, path, {**change, "expected_version": current + 1})
    assert response.status_code == 409
    assert_envelope(response, "conflict")
    # If-Match wins over the body: a stale header refuses even with a fresh body version
    response = patch(client, path, {**change, "expected_version": current}, HTTP_IF_MATCH=f'"{current + 5}"')
    assert response.status_code == 412
    response = patch(client, path, change, HTTP_IF_MATCH="not-a-version")
    assert response.status_code == 422
    assert "If-Match" in assert_envelope(response, "validation_error")["fields"]
    assert_unchanged(before)

    # the current version goes through, in every spelling If-Match allows, and bumps the version
    response = patch(client, path, change, HTTP_IF_MATCH=f'W/"{current}"')
    assert response.status_code == 200, response.content
    assert response.json()["version"] == current + 1
    record.refresh_from_db()
    assert record.version == current + 1
    # the version just read is stale once someone else saved
    response = patch(client, path, {**change, "expected_version": current})
    assert response.status_code == 409


def test_two_editors_of_the_same_version_one_wins(world, api_client_for):
    alice, bob = api_client_for(world.owner), api_client_for(world.admin)
    version = Team.objects.get(pk=world.north.pk).version
    first = patch(alice, f"{API}/teams/{world.north.pk}", {"name": "Northern"}, HTTP_IF_MATCH=str(version))
    second = patch(bob, f"{API}/teams/{world.north.pk}", {"name": "Boreal"}, HTTP_IF_MATCH=str(version))
    assert (first.status_code, second.status_code) == (200, 412)
    assert Team.objects.get(pk=world.north.pk).name == "Northern"


# ---------------------------------------------------------------- keyset pagination


def _all_pages(client, path, limit, **params):
    """Walk `path` page by page; return the ids in the order served and the number of pages."""
    ids, cursor, pages = [], None, 0
    while True:
        query = {"limit": limit, **params} | ({"cursor": cursor} if cursor else {})
        response = client.get(path, query)
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["items"]) <= limit
        ids.extend(item["id"] for item in body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages
        assert pages < 100, "pagination does not end"


def test_member_pages_skip_and_repeat_nothing(world, api_client_for):
    for _ in range(15):
        make_member(world.workspace, "sales_rep")
    expected = sorted(Membership.objects.filter(workspace=world.workspace).values_list("pk", flat=True))
    client = api_client_for(world.owner)

    ids, pages = _all_pages(client, f"{API}/members", limit=4)

    assert ids == expected  # ascending id, each once
    assert pages == -(-len(expected) // 4)
    assert _all_pages(client, f"{API}/members", limit=200)[0] == expected


def test_audit_pages_are_newest_first_and_stable_while_rows_arrive(world, api_client_for):
    for n in range(12):
        services.team_create(actor=world.owner, name=f"Team {n}")
    client = api_client_for(world.owner)
    expected = list(
        AuditEntry.objects.filter(workspace=world.workspace).order_by("-id").values_list("pk", flat=True)
    )

    first = client.get(f"{API}/audit-events", {"limit": 5}).json()
    services.team_create(actor=world.owner, name="Arrived meanwhile")  # newer than the cursor: not served
    ids = [item["id"] for item in first["items"]]
    rest, _pages = _all_pages(client, f"{API}/audit-events", limit=5, cursor=first["next_cursor"])
    ids += rest

    assert ids == expected
    assert len(ids) == len(set(ids))


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


LISTS = ["members", "invites", "teams", "roles", "tokens", "audit-events"]
BAD_CURSORS = [
    "not a cursor!",
    "%%%",
    _cursor("{}"),
    _cursor('"x"'),
    _cursor('["x"]'),
    _cursor("[1, 2]"),
    _cursor("[null]"),
    _cursor("[[1]]"),
    _cursor("[1e400]"),  # decodes to infinity
    _cursor("[NaN]"),
    _cursor("[]"),
]
BAD_LIMITS = ["0", "-1", "201", "99999999999999999999999", "ten", "1.5"]


@pytest.mark.parametrize("endpoint", LISTS)
def test_bad_cursor_or_limit_is_422(world, api_client_for, endpoint):
    client = api_client_for(world.owner)
    for params, field in [({"cursor": c}, "cursor") for c in BAD_CURSORS] + [
        ({"limit": limit}, "limit") for limit in BAD_LIMITS
    ]:
        response = client.get(f"{API}/{endpoint}", params)
        assert response.status_code == 422, (params, response.content)
        assert field in assert_envelope(response, "validation_error")["fields"], params


def test_a_huge_cursor_id_is_just_past_the_end(world, api_client_for):
    client = api_client_for(world.owner)
    response = client.get(f"{API}/members", {"cursor": _cursor(f"[{2**70}]")})
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


# ---------------------------------------------------------------- Idempotency-Key


def test_idempotency_key_replays_the_first_answer_and_creates_once(world, api_client_for):
    client = api_client_for(world.owner)
    key = {"HTTP_IDEMPOTENCY_KEY": "create-east-1"}

    first = post(client, f"{API}/teams", {"name": "East"}, **key)
    again = post(client, f"{API}/teams", {"name": "East"}, **key)

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert Team.objects.filter(workspace=world.workspace, name="East").count() == 1
    assert AuditEntry.objects.filter(entity="team", record_id=str(first.json()["id"])).count() == 1
    assert OutboxEvent.objects.filter(name="team.created", record_id=str(first.json()["id"])).count() == 1


def test_idempotency_key_with_another_body_or_path_is_422(world, api_client_for):
    client = api_client_for(world.owner)
    key = {"HTTP_IDEMPOTENCY_KEY": "k-42"}
    assert post(client, f"{API}/teams", {"name": "East"}, **key).status_code == 201

    before = db_state()
    other_body = post(client, f"{API}/teams", {"name": "West"}, **key)
    other_path = post(client, f"{API}/roles", {"name": "West"}, **key)

    for response in (other_body, other_path):
        assert response.status_code == 422
        assert "Idempotency-Key" in assert_envelope(response, "idempotency_mismatch")["fields"]
    assert_unchanged(before)


def test_idempotency_keys_of_different_callers_never_meet(world, api_client_for):
    key = {"HTTP_IDEMPOTENCY_KEY": "same-key"}
    mine = post(api_client_for(world.owner), f"{API}/tokens", {"name": "mine"}, **key)
    theirs = post(api_client_for(world.rep), f"{API}/tokens", {"name": "mine"}, **key)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert theirs.json()["member_id"] == world.rep.pk


def test_a_refused_request_does_not_burn_the_key(world, api_client_for):
    """403 is not a final answer: once the role allows it, the same key creates the record."""
    client = api_client_for(world.rep)
    key = {"HTTP_IDEMPOTENCY_KEY": "retry-me"}
    assert post(client, f"{API}/teams", {"name": "East"}, **key).status_code == 403
    role = world.rep.role
    role.permissions = {**role.permissions, "team": {**role.permissions["team"], "create": "all"}}
    role.save()
    assert post(client, f"{API}/teams", {"name": "East"}, **key).status_code == 201


def test_overlong_idempotency_key_is_422(world, api_client_for):
    client = api_client_for(world.owner)
    before = db_state()
    response = post(client, f"{API}/teams", {"name": "East"}, HTTP_IDEMPOTENCY_KEY="k" * 201)
    assert response.status_code == 422
    assert "Idempotency-Key" in assert_envelope(response, "validation_error")["fields"]
    assert_unchanged(before)


# ---------------------------------------------------------------- tokens


def test_a_created_token_works_and_records_its_use(world, api_client_for):
    response = post(api_client_for(world.rep), f"{API}/tokens", {"name": "laptop"})
    assert response.status_code == 201
    raw = response.json()["token"]
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert token.membership_id == world.rep.pk
    assert token.last_used_at is None
    assert raw not in json.dumps(list(ApiToken.objects.values()), default=str)  # only its hash is stored

    client = api_client_for(None)
    answer = client.get(f"{API}/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 200
    assert answer.json()["member"]["id"] == world.rep.pk
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < datetime.timedelta(minutes=1)
    # the list shows when it was last used, never the secret
    listed = client.get(f"{API}/tokens", HTTP_AUTHORIZATION=f"Bearer {raw}").json()["items"]
    assert {t["id"]: t["last_used_at"] is not None for t in listed}[token.pk]
    assert all("token" not in t for t in listed)


def test_a_revoked_token_is_401_from_the_next_request(world, api_client_for):
    response = post(api_client_for(world.rep), f"{API}/tokens", {"name": "short-lived"})
    raw, token_id = response.json()["token"], response.json()["id"]
    client = api_client_for(None)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get(f"{API}/me", **auth).status_code == 200

    revoked = client.delete(f"{API}/tokens/{token_id}", **auth)  # a token may revoke itself
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None

    response = client.get(f"{API}/me", **auth)
    assert response.status_code == 401
    assert_envelope(response, "not_authenticated")


def test_an_expired_token_is_401(world, api_client_for):
    soon = (timezone.now() + datetime.timedelta(hours=1)).isoformat()
    response = post(api_client_for(world.rep), f"{API}/tokens", {"name": "expiring", "expires_at": soon})
    assert response.status_code == 201
    raw = response.json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    client = api_client_for(None)
    assert client.get(f"{API}/me", **auth).status_code == 200

    ApiToken.objects.filter(pk=response.json()["id"]).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get(f"{API}/me", **auth)
    assert response.status_code == 401
    assert_envelope(response, "not_authenticated")


def test_a_deactivated_members_token_is_401_on_the_very_next_request(world, api_client_for):
    rep = api_client_for(world.rep)
    owner = api_client_for(world.owner)
    assert rep.get(f"{API}/me").status_code == 200

    assert post(owner, f"{API}/members/{world.rep.pk}/deactivate").status_code == 200
    response = rep.get(f"{API}/me")
    assert response.status_code == 401
    assert_envelope(response, "not_authenticated")

    assert post(owner, f"{API}/members/{world.rep.pk}/reactivate").status_code == 200
    assert rep.get(f"{API}/me").status_code == 200


def test_a_deactivated_users_token_is_401(world, api_client_for):
    client = api_client_for(world.rep)
    world.rep.user.is_active = False
    world.rep.user.save()
    assert client.get(f"{API}/me").status_code == 401


# ---------------------------------------------------------------- invites


def test_invite_returns_accept_url_and_mails_it_after_commit(
    world, api_client_for, django_capture_on_commit_callbacks, mailoutbox
):
    client = api_client_for(world.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            f"{API}/invites",
            {
                "email": "  New.Person@Example.com ",
                "role_id": world.rep.role.pk,
                "team_ids": [world.north.pk],
            },
        )
        assert response.status_code == 201, response.content
        assert mailoutbox == []  # nothing leaves before the transaction commits

    body = response.json()
    assert body["email"] == "new.person@example.com"
    assert body["status"] == "pending"
    assert body["team_ids"] == [world.north.pk]
    url = body["accept_url"]
    assert url.startswith(settings.SITE_URL + "/invites/")
    raw = url.rstrip("/").rsplit("/", 1)[-1]
    assert services.invite_find(raw).pk == body["id"]
    assert raw not in json.dumps(list(Invite.objects.values()), default=str)  # only its hash is stored

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["new.person@example.com"]
    assert url in mail.body
    assert "Acme" in mail.subject

    # the link opens the acceptance page
    page = api_client_for(None).get(url.removeprefix(settings.SITE_URL))
    assert page.status_code == 200


def test_a_refused_invite_sends_nothing(
    world, api_client_for, django_capture_on_commit_callbacks, mailoutbox
):
    client = api_client_for(world.rep)
    before = db_state()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, f"{API}/invites", {"email": "x@example.com", "role_id": world.rep.role.pk})
    assert response.status_code == 403
    assert_envelope(response, "permission_denied")
    assert_unchanged(before)
    assert mailoutbox == []


def test_a_revoked_invite_link_no_longer_works(world, api_client_for):
    client = api_client_for(world.owner)
    body = post(client, f"{API}/invites", {"email": "gone@example.com", "role_id": world.rep.role.pk}).json()
    assert client.delete(f"{API}/invites/{body['id']}").json()["status"] == "revoked"
    page = api_client_for(None).get(body["accept_url"].removeprefix(settings.SITE_URL))
    assert page.status_code in (404, 410)


# ---------------------------------------------------------------- roles take effect at once


def test_editing_a_role_changes_what_its_members_may_do_on_the_next_request(world, api_client_for):
    rep = api_client_for(world.rep)
    owner = api_client_for(world.owner)
    role_path = f"{API}/roles/{world.rep.role.pk}"
    assert post(rep, f"{API}/teams", {"name": "East"}).status_code == 403

    permissions = owner.get(role_path).json()["permissions"]
    permissions["team"] = {**permissions["team"], "create": "all"}
    assert patch(owner, role_path, {"permissions": permissions}).status_code == 200
    assert post(rep, f"{API}/teams", {"name": "East"}).status_code == 201

    # and taking a right away works as fast: the members list and records disappear
    permissions["member"] = {}
    assert patch(owner, role_path, {"permissions": permissions}).status_code == 200
    assert rep.get(f"{API}/members").json()["items"] == []
    assert rep.get(f"{API}/members/{world.teammate.pk}").status_code == 404


def test_changing_a_members_role_changes_what_they_may_do_next(world, api_client_for):
    rep = api_client_for(world.rep)
    owner = api_client_for(world.owner)
    assert rep.get(f"{API}/roles").json()["items"] == []
    response = patch(owner, f"{API}/members/{world.rep.pk}", {"role_id": world.manager.role.pk})
    assert response.status_code == 200
    assert response.json()["role"]["key"] == "sales_manager"
    assert len(rep.get(f"{API}/roles").json()["items"]) == 6


def test_a_role_cannot_be_given_rights_it_does_not_know(world, api_client_for):
    owner = api_client_for(world.owner)
    before = db_state()
    for permissions in (
        {"spaceship": {"view": "all"}},
        {"team": {"launch": "all"}},
        {"team": {"view": "galaxy"}},
        {"role": {"view": "own"}},  # roles have no "own" scope
    ):
        response = patch(owner, f"{API}/roles/{world.rep.role.pk}", {"permissions": permissions})
        assert response.status_code == 422, permissions
        assert "permissions" in assert_envelope(response, "validation_error")["fields"]
    assert_unchanged(before)


def test_nobody_removes_their_own_right_to_edit_roles(world, api_client_for):
    admin = api_client_for(world.admin)
    permissions = admin.get(f"{API}/roles/{world.admin.role.pk}").json()["permissions"]
    permissions["role"] = {"view": "all"}
    before = db_state()
    response = patch(admin, f"{API}/roles/{world.admin.role.pk}", {"permissions": permissions})
    assert response.status_code == 422
    assert_unchanged(before)


# ---------------------------------------------------------------- field rules


def test_a_hidden_email_never_reaches_the_member(world, api_client_for):
    owner = api_client_for(world.owner)
    response = patch(
        owner, f"{API}/roles/{world.rep.role.pk}", {"field_rules": {"member": {"email": "hidden"}}}
    )
    assert response.status_code == 200, response.content
    emails = list(Membership.objects.filter(workspace=world.workspace).values_list("user__email", flat=True))
    rep = api_client_for(world.rep)

    listing = rep.get(f"{API}/members", {"limit": 200})
    detail = rep.get(f"{API}/members/{world.teammate.pk}")
    searched = rep.get(f"{API}/members", {"search": world.teammate.user.email})
    for response in (listing, detail, searched):
        assert response.status_code == 200
        assert not [e for e in emails if e in response.content.decode()], response.content
    for item in [*listing.json()["items"], detail.json()]:
        assert item["email"] is None
        assert item["user"]["email"] == ""

    # the owner (locked role) still sees them all
    assert world.teammate.user.email in owner.get(f"{API}/members/{world.teammate.pk}").content.decode()


def test_a_read_only_field_cannot_be_changed(world, api_client_for):
    owner = api_client_for(world.owner)
    rules = {"workspace": {"name": "read_only"}}
    assert patch(owner, f"{API}/roles/{world.admin.role.pk}", {"field_rules": rules}).status_code == 200
    admin = api_client_for(world.admin)
    before = db_state()
    response = patch(
        admin, f"{API}/workspaces/{world.workspace.pk}", {"name": "Hijacked", "time_zone": "Asia/Tehran"}
    )
    assert response.status_code == 403
    assert "name" in assert_envelope(response, "permission_denied")["fields"]
    assert_unchanged(before)
    # other settings still change
    assert (
        patch(admin, f"{API}/workspaces/{world.workspace.pk}", {"time_zone": "Asia/Tehran"}).status_code
        == 200
    )


def test_a_hidden_workspace_setting_comes_back_as_null(world, api_client_for):
    owner = api_client_for(world.owner)
    rules = {"workspace": {"default_currency": "hidden"}}
    assert patch(owner, f"{API}/roles/{world.rep.role.pk}", {"field_rules": rules}).status_code == 200
    body = api_client_for(world.rep).get(f"{API}/workspaces/{world.workspace.pk}").json()
    assert body["default_currency"] is None
    assert body["name"] == "Acme"


# ---------------------------------------------------------------- the last owner


def test_the_last_owner_can_be_neither_demoted_nor_deactivated(world, api_client_for):
    owner = api_client_for(world.owner)
    before = db_state()
    demoted = patch(owner, f"{API}/members/{world.owner.pk}", {"role_id": world.admin.role.pk})
    deactivated = post(owner, f"{API}/members/{world.owner.pk}/deactivate")
    for response in (demoted, deactivated):
        assert response.status_code == 409
        assert_envelope(response, "last_owner")
    assert_unchanged(before)

    # with a second owner, the first may step down
    promoted = patch(owner, f"{API}/members/{world.admin.pk}", {"role_id": world.owner.role.pk})
    assert promoted.status_code == 200
    stepped_down = patch(owner, f"{API}/members/{world.owner.pk}", {"role_id": world.admin.role.pk})
    assert stepped_down.status_code == 200
    assert Membership.objects.get(pk=world.owner.pk).role.key == "admin"


def test_an_owner_deactivated_while_another_remains(world, api_client_for):
    second = make_member(world.workspace, "owner")
    response = post(api_client_for(second), f"{API}/members/{world.owner.pk}/deactivate")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    response = post(api_client_for(world.owner), f"{API}/members/{second.pk}/deactivate")
    assert response.status_code == 401  # the deactivated owner's token no longer works


# ---------------------------------------------------------------- query-count guards


@pytest.fixture
def crowded(world):
    """Sixty of everything, with the relations each list shows (teams of members and invites, roles)."""
    owner = world.owner
    teams = [services.team_create(actor=owner, name=f"Team {n}") for n in range(60)]
    roles = [
        services.role_create(actor=owner, name=f"Role {n}", permissions={"team": {"view": "all"}})
        for n in range(60)
    ]
    for n in range(60):
        member = make_member(world.workspace, "sales_rep", teams=teams[n % 7 : n % 7 + 2])
        services.member_update(actor=owner, member=member, role=roles[n])
        services.token_create(actor=member, name=f"token {n}")
        services.invite_create(
            actor=owner, email=f"invitee{n}@example.com", role=roles[n], teams=teams[n % 5 : n % 5 + 3]
        )
    return world


def test_list_query_count_does_not_grow_with_page_size(
    crowded, api_client_for, django_assert_max_num_queries
):
    client = api_client_for(crowded.owner)
    client.get(f"{API}/me")  # the first request of a token records its use, once
    for endpoint in LISTS:
        path = f"{API}/{endpoint}"
        with CaptureQueriesContext(connection) as small:
            response = client.get(path, {"limit": 2})
        assert len(response.json()["items"]) == 2
        assert len(small) <= 6, (endpoint, [q["sql"] for q in small.captured_queries])

        with django_assert_max_num_queries(len(small)):
            response = client.get(path, {"limit": 50})
        assert len(response.json()["items"]) == 50, endpoint
        assert response.json()["next_cursor"] is not None

        with django_assert_max_num_queries(len(small)):  # a deep page costs the same
            response = client.get(path, {"limit": 50, "cursor": response.json()["next_cursor"]})
        assert response.status_code == 200
