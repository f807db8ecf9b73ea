"""Authorization matrix over every accounts endpoint (ARCHITECTURE §4, §6, §10).

Every endpoint × owner / admin / sales manager / sales rep / support agent / read-only / a member of another
workspace / anonymous. A refused call (any 4xx) must leave the database exactly as it was, audit trail and
outbox included; records of another workspace answer 404, exactly like missing ones.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Q

from peyvand.accounts import services
from peyvand.accounts.models import ApiToken, Invite, Membership, Role, Team, User, Workspace
from peyvand.accounts.tests.factories import make_member
from peyvand.core import recycle
from peyvand.core.models import AuditEntry, OutboxEvent

API = "/api/v1"
ENVELOPE_KEYS = {"code", "message", "fields"}
ACME_ACTORS = ("owner", "admin", "manager", "rep", "support", "read_only")
ACTORS = (*ACME_ACTORS, "other", "anonymous")


# ---------------------------------------------------------------- helpers shared by the API test modules


def db_state() -> dict[str, Any]:
    """Every accounts and core row that a request could change, as plain values.

    `ApiToken.last_used_at` is left out: authenticating a request legitimately records the token's use.
    """
    token_fields = [f.attname for f in ApiToken._meta.concrete_fields if f.name != "last_used_at"]
    return {
        "users": list(User.objects.order_by("pk").values()),
        "workspaces": list(Workspace.objects.order_by("pk").values()),
        "members": list(Membership.objects.order_by("pk").values()),
        "member_teams": list(Membership.teams.through.objects.order_by("pk").values()),
        "teams": list(Team.all_objects.order_by("pk").values()),
        "roles": list(Role.all_objects.order_by("pk").values()),
        "invites": list(Invite.objects.order_by("pk").values()),
        "invite_teams": list(Invite.teams.through.objects.order_by("pk").values()),
        "tokens": list(ApiToken.objects.order_by("pk").values(*token_fields)),
        "audit": list(AuditEntry.objects.order_by("pk").values()),
        "outbox": list(OutboxEvent.objects.order_by("pk").values()),
    }


def assert_unchanged(before: dict[str, Any]) -> None:
    after = db_state()
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"a refused request changed: {changed}"


def assert_envelope(response: Any, code: str | None = None) -> dict[str, Any]:
    """The response is the one error envelope {code, message, fields}; returns it."""
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    assert set(body) == ENVELOPE_KEYS, body
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["fields"], dict)
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body["fields"].values())
    if code is not None:
        assert body["code"] == code, body
    return body


def send(client: Any, method: str, path: str, body: Any = None, **headers: str) -> Any:
    if method == "get":
        return client.get(path, **headers)
    if body is None:
        return getattr(client, method)(path, **headers)
    return getattr(client, method)(path, body, content_type="application/json", **headers)


# ---------------------------------------------------------------- the world the matrix runs in


@pytest.fixture
def mw(world):
    """`world` plus one record of every kind, in Acme and in Other, for the endpoints to act on."""
    w = world
    w.roles = {r.key: r for r in Role.objects.filter(workspace=w.workspace).exclude(key="")}
    w.temp_role = services.role_create(actor=w.owner, name="Temporary", permissions={"team": {"view": "all"}})
    w.invite, _raw = services.invite_create(
        actor=w.owner, email="invitee@example.com", role=w.roles["sales_rep"]
    )
    w.old_team = services.team_create(actor=w.owner, name="Old")
    recycle.soft_delete(actor=w.owner, record=w.old_team)
    w.inactive = make_member(w.workspace, "sales_rep")
    services.member_deactivate(actor=w.owner, member=w.inactive)
    w.rep_token, _raw = services.token_create(actor=w.rep, name="rep's laptop")

    other = types.SimpleNamespace()
    owner = w.other_owner
    other.roles = {r.key: r for r in Role.objects.filter(workspace=w.other_workspace).exclude(key="")}
    other.member = make_member(w.other_workspace, "sales_rep")
    other.inactive = make_member(w.other_workspace, "sales_rep")
    services.member_deactivate(actor=owner, member=other.inactive)
    other.team = services.team_create(actor=owner, name="Elsewhere")
    other.old_team = services.team_create(actor=owner, name="Gone")
    recycle.soft_delete(actor=owner, record=other.old_team)
    other.role = services.role_create(actor=owner, name="Foreign", permissions={"team": {"view": "all"}})
    other.invite, _raw = services.invite_create(
        actor=owner, email="someone@example.org", role=other.roles["sales_rep"]
    )
    other.token, _raw = services.token_create(actor=other.member, name="theirs")
    w.other = other
    return w


def actor_of(w: Any, who: str) -> Membership | None:
    if who == "anonymous":
        return None
    if who == "other":
        return w.other_owner
    return getattr(w, who)


# ---------------------------------------------------------------- the endpoints

Case = tuple[str, Callable[[Any], str], Callable[[Any], Any] | None]

CASES: dict[str, Case] = {
    "me": ("get", lambda w: f"{API}/me", None),
    "workspaces.list": ("get", lambda w: f"{API}/workspaces", None),
    "workspaces.create": ("post", lambda w: f"{API}/workspaces", lambda w: {"name": "Brand new"}),
    "workspaces.get": ("get", lambda w: f"{API}/workspaces/{w.workspace.pk}", None),
    "workspaces.patch": (
        "patch",
        lambda w: f"{API}/workspaces/{w.workspace.pk}",
        lambda w: {"name": "Acme Renamed"},
    ),
    "members.list": ("get", lambda w: f"{API}/members", None),
    "members.get": ("get", lambda w: f"{API}/members/{w.teammate.pk}", None),
    "members.patch_role": (
        "patch",
        lambda w: f"{API}/members/{w.teammate.pk}",
        lambda w: {"role_id": w.roles["support_agent"].pk},
    ),
    "members.patch_role_outside_team": (
        "patch",
        lambda w: f"{API}/members/{w.outsider_rep.pk}",
        lambda w: {"role_id": w.roles["support_agent"].pk},
    ),
    "members.promote_self_to_admin": (
        "patch",
        lambda w: f"{API}/members/{w.manager.pk}",
        lambda w: {"role_id": w.roles["admin"].pk},
    ),
    "members.patch_teams": (
        "patch",
        lambda w: f"{API}/members/{w.teammate.pk}",
        lambda w: {"team_ids": [w.south.pk]},
    ),
    "members.demote_owner": (
        "patch",
        lambda w: f"{API}/members/{w.owner.pk}",
        lambda w: {"role_id": w.roles["admin"].pk},
    ),
    "members.deactivate": ("post", lambda w: f"{API}/members/{w.teammate.pk}/deactivate", None),
    "members.deactivate_owner": ("post", lambda w: f"{API}/members/{w.owner.pk}/deactivate", None),
    "members.reactivate": ("post", lambda w: f"{API}/members/{w.inactive.pk}/reactivate", None),
    "invites.list": ("get", lambda w: f"{API}/invites", None),
    "invites.create": (
        "post",
        lambda w: f"{API}/invites",
        lambda w: {"email": "new.person@example.com", "role_id": w.roles["sales_rep"].pk},
    ),
    "invites.create_owner": (
        "post",
        lambda w: f"{API}/invites",
        lambda w: {"email": "new.owner@example.com", "role_id": w.roles["owner"].pk},
    ),
    "invites.revoke": ("delete", lambda w: f"{API}/invites/{w.invite.pk}", None),
    "teams.list": ("get", lambda w: f"{API}/teams", None),
    "teams.create": ("post", lambda w: f"{API}/teams", lambda w: {"name": "East"}),
    "teams.get": ("get", lambda w: f"{API}/teams/{w.north.pk}", None),
    "teams.patch_own_team": (
        "patch",
        lambda w: f"{API}/teams/{w.north.pk}",
        lambda w: {"description": "The northern region"},
    ),
    "teams.patch_other_team": (
        "patch",
        lambda w: f"{API}/teams/{w.south.pk}",
        lambda w: {"description": "The southern region"},
    ),
    "teams.delete": ("delete", lambda w: f"{API}/teams/{w.south.pk}", None),
    "teams.restore": ("post", lambda w: f"{API}/teams/{w.old_team.pk}/restore", None),
    "roles.list": ("get", lambda w: f"{API}/roles", None),
    "roles.create": (
        "post",
        lambda w: f"{API}/roles",
        lambda w: {"name": "Auditor", "permissions": {"audit": {"view": "all"}}},
    ),
    "roles.get": ("get", lambda w: f"{API}/roles/{w.temp_role.pk}", None),
    "roles.patch": (
        "patch",
        lambda w: f"{API}/roles/{w.temp_role.pk}",
        lambda w: {"description": "Short-lived"},
    ),
    "roles.patch_locked": (
        "patch",
        lambda w: f"{API}/roles/{w.roles['owner'].pk}",
        lambda w: {"description": "Everything"},
    ),
    "roles.delete": ("delete", lambda w: f"{API}/roles/{w.temp_role.pk}", None),
    "roles.delete_in_use": ("delete", lambda w: f"{API}/roles/{w.roles['sales_rep'].pk}", None),
    "tokens.list": ("get", lambda w: f"{API}/tokens", None),
    "tokens.create": ("post", lambda w: f"{API}/tokens", lambda w: {"name": "CI"}),
    "tokens.revoke": ("delete", lambda w: f"{API}/tokens/{w.rep_token.pk}", None),
    "audit.list": ("get", lambda w: f"{API}/audit-events", None),
}


def expect(**statuses: int) -> dict[str, int]:
    """Fill in the defaults: anonymous always 401."""
    return {"anonymous": 401, **statuses}


def same(status: int, other: int) -> dict[str, int]:
    return expect(**dict.fromkeys(ACME_ACTORS, status), other=other)


_ADMINS = ("owner", "admin")


def admins_only(ok: int, refused: int = 403, other: int = 404, **extra: int) -> dict[str, int]:
    table = {who: ok if who in _ADMINS else refused for who in ACME_ACTORS}
    return expect(**table, other=other) | extra


# who → expected status, per endpoint. Lists answer 200 to everyone signed in: what each sees is checked in
# test_lists_show_exactly_what_the_role_reaches below.
MATRIX: dict[str, dict[str, int]] = {
    "me": same(200, 200),
    "workspaces.list": same(200, 200),
    "workspaces.create": same(201, 201),  # anyone may start a workspace of their own
    "workspaces.get": same(200, 404),
    "workspaces.patch": admins_only(200),
    "members.list": same(200, 200),
    "members.get": same(200, 404),
    # the sales manager assigns roles to the members of their own teams ("assign: team")
    "members.patch_role": admins_only(200, manager=200),
    "members.patch_role_outside_team": admins_only(200),
    # ... but may not give themselves (or anyone) a role reaching further than their own
    "members.promote_self_to_admin": admins_only(200),
    "members.patch_teams": admins_only(200),
    # the last owner stays owner; only an owner may touch an owner
    "members.demote_owner": admins_only(409, owner=409, admin=403),
    "members.deactivate": admins_only(200),
    "members.deactivate_owner": admins_only(409, admin=403),
    "members.reactivate": admins_only(200),
    "invites.list": same(200, 200),
    "invites.create": admins_only(201),
    "invites.create_owner": admins_only(201, admin=403),
    # invites are seen only by those who may invite, so to everyone else they do not exist
    "invites.revoke": admins_only(200, refused=404),
    "teams.list": same(200, 200),
    "teams.create": admins_only(201, other=201),  # "other" creates it in their own workspace
    "teams.get": same(200, 404),
    "teams.patch_own_team": admins_only(200, manager=200),  # the manager is in North ("change: team")
    "teams.patch_other_team": admins_only(200),
    "teams.delete": admins_only(204),
    "teams.restore": admins_only(200),
    "roles.list": same(200, 200),
    "roles.create": admins_only(201, other=201),
    # roles are visible to owner, admin and sales manager only; to the others they do not exist
    "roles.get": admins_only(200, refused=404, manager=200),
    "roles.patch": admins_only(200, refused=404, manager=403),
    "roles.patch_locked": admins_only(403, refused=404, manager=403),
    "roles.delete": admins_only(204, refused=404, manager=403),
    "roles.delete_in_use": admins_only(409, refused=404, manager=403),
    "tokens.list": same(200, 200),
    "tokens.create": same(201, 201),  # everyone may make tokens for themselves
    # a token is seen by its holder and by those whose role reaches all tokens
    "tokens.revoke": admins_only(200, refused=404, rep=200),
    "audit.list": same(200, 200),
}


def api_operations(keep: Callable[[set[str]], bool]) -> set[tuple[str, str]]:
    """(method, path template) of every API operation whose tags `keep` accepts."""
    from peyvand.config.api import api

    return {
        (method.upper(), template)
        for template, item in api.get_openapi_schema()["paths"].items()
        for method, operation in item.items()
        if keep(set(operation.get("tags", [])))
    }


def assert_matrix_complete(
    operations: set[tuple[str, str]], cases: dict[str, Any], matrix: dict[str, Any], world: Any
) -> None:
    """Every operation has a case (a new endpoint must join its matrix), every case a row for every actor."""
    covered = set()
    for method, path, _body in cases.values():
        url = path(world)
        for op_method, template in operations:
            pattern = "^" + re.sub(r"\{[^}]+\}", r"\\d+", template) + "$"
            if op_method == method.upper() and re.match(pattern, url):
                covered.add((op_method, template))
    assert operations == covered, sorted(operations - covered)
    assert set(matrix) == set(cases)
    assert all(set(row) == set(ACTORS) for row in matrix.values())


def test_matrix_covers_every_operation(mw):
    # Other apps' operations are in their own matrices.
    assert_matrix_complete(api_operations(lambda tags: "accounts" in tags), CASES, MATRIX, mw)


def each_actor(table: dict[str, int], check: Callable[[str, int], None]) -> None:
    """Run `check(who, status)` for every row of `table`, each in a savepoint rolled back afterwards so every
    actor meets the same world; report every row that failed, not just the first."""
    failures = []
    for who, status in table.items():
        with transaction.atomic():
            try:
                check(who, status)
            except AssertionError as error:
                failures.append(f"{who} (expected {status}): {error}")
            transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


def check_matrix_case(
    world: Any,
    client_for: Callable[[Membership | None], Any],
    case: Case,
    table: dict[str, int],
    *,
    state: Callable[[], dict[str, Any]],
    audited: bool = True,
    by_actor: bool = True,
) -> None:
    """Send `case` as every actor of `table` and expect their status. A refusal answers the error envelope
    and changes nothing `state()` shows (audit trail and outbox included); a write that goes through is
    audited, through the API channel, by the actor in their workspace (`audited=False`: a call that may
    rightly write nothing; `by_actor=False`: one whose entries name someone else, e.g. a new workspace's
    owner)."""
    method, path, body = case

    def check(who: str, status: int) -> None:
        member = actor_of(world, who)
        client = client_for(member)
        before = state()
        audit_before = AuditEntry.objects.count()

        response = send(client, method, path(world), body(world) if body else None)

        assert response.status_code == status, response.content[:300]
        if status >= 400:
            assert_envelope(response)
            after = state()
            changed = [name for name in before if before[name] != after[name]]
            assert not changed, f"a refused request changed: {changed}"
            return
        if method != "get" and audited:
            new_entries = list(AuditEntry.objects.order_by("pk")[audit_before:])
            assert new_entries, "a successful write left no audit entry"
            assert {e.channel for e in new_entries} == {"api"}
            if by_actor:
                assert {e.actor_id for e in new_entries} == {member.pk}
                assert {e.workspace_id for e in new_entries} == {member.workspace_id}

    each_actor(table, check)


@pytest.mark.parametrize("case", sorted(MATRIX))
def test_permission_matrix(mw, api_client_for, case):
    # A new workspace's owner is a new membership.
    check_matrix_case(
        mw, api_client_for, CASES[case], MATRIX[case], state=db_state, by_actor=case != "workspaces.create"
    )


@pytest.mark.parametrize(
    "credentials",
    ["", "Bearer ", "Bearer pvk_not-a-real-token", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Token abc"],
)
def test_bad_credentials_are_401_everywhere(mw, client, credentials):
    headers = {"HTTP_AUTHORIZATION": credentials} if credentials else {}
    requests = [
        (case, method, path(mw), body(mw) if body else None) for case, (method, path, body) in CASES.items()
    ]
    before = db_state()
    for case, method, url, payload in requests:
        response = send(client, method, url, payload, **headers)
        assert response.status_code == 401, case
        assert_envelope(response, "not_authenticated")
    assert_unchanged(before)


# ---------------------------------------------------------------- another workspace's records answer 404

OTHER_RECORD_CASES: dict[str, Case] = {
    "workspaces.get": ("get", lambda w: f"{API}/workspaces/{w.other_workspace.pk}", None),
    "workspaces.patch": (
        "patch",
        lambda w: f"{API}/workspaces/{w.other_workspace.pk}",
        lambda w: {"name": "X"},
    ),
    "workspaces.get_missing": ("get", lambda w: f"{API}/workspaces/999999", None),
    "members.get": ("get", lambda w: f"{API}/members/{w.other.member.pk}", None),
    "members.get_missing": ("get", lambda w: f"{API}/members/999999", None),
    "members.patch_role": (
        "patch",
        lambda w: f"{API}/members/{w.other.member.pk}",
        lambda w: {"role_id": w.roles["support_agent"].pk},
    ),
    "members.patch_their_role_onto_ours": (
        "patch",
        lambda w: f"{API}/members/{w.rep.pk}",
        lambda w: {"role_id": w.other.role.pk},
    ),
    "members.patch_their_team_onto_ours": (
        "patch",
        lambda w: f"{API}/members/{w.rep.pk}",
        lambda w: {"team_ids": [w.north.pk, w.other.team.pk]},
    ),
    "members.deactivate": ("post", lambda w: f"{API}/members/{w.other.member.pk}/deactivate", None),
    "members.reactivate": ("post", lambda w: f"{API}/members/{w.other.inactive.pk}/reactivate", None),
    "invites.create_with_their_role": (
        "post",
        lambda w: f"{API}/invites",
        lambda w: {"email": "x@example.com", "role_id": w.other.role.pk},
    ),
    "invites.create_with_their_team": (
        "post",
        lambda w: f"{API}/invites",
        lambda w: {
            "email": "x@example.com",
            "role_id": w.roles["sales_rep"].pk,
            "team_ids": [w.other.team.pk],
        },
    ),
    "invites.revoke": ("delete", lambda w: f"{API}/invites/{w.other.invite.pk}", None),
    "teams.get": ("get", lambda w: f"{API}/teams/{w.other.team.pk}", None),
    "teams.patch": ("patch", lambda w: f"{API}/teams/{w.other.team.pk}", lambda w: {"name": "Mine now"}),
    "teams.delete": ("delete", lambda w: f"{API}/teams/{w.other.team.pk}", None),
    "teams.restore": ("post", lambda w: f"{API}/teams/{w.other.old_team.pk}/restore", None),
    "teams.restore_alive_team": ("post", lambda w: f"{API}/teams/{w.north.pk}/restore", None),
    "roles.get": ("get", lambda w: f"{API}/roles/{w.other.role.pk}", None),
    "roles.patch": ("patch", lambda w: f"{API}/roles/{w.other.role.pk}", lambda w: {"name": "Mine now"}),
    "roles.delete": ("delete", lambda w: f"{API}/roles/{w.other.role.pk}", None),
    "roles.get_deleted": ("get", lambda w: f"{API}/roles/{_deleted_role(w).pk}", None),
    "tokens.revoke": ("delete", lambda w: f"{API}/tokens/{w.other.token.pk}", None),
    "tokens.revoke_missing": ("delete", lambda w: f"{API}/tokens/999999", None),
}


def _deleted_role(w: Any) -> Role:
    role = services.role_create(actor=w.owner, name="Binned")
    recycle.soft_delete(actor=w.owner, record=role)
    return role


@pytest.mark.parametrize("case", sorted(OTHER_RECORD_CASES))
def test_other_workspace_records_are_404(mw, api_client_for, case):
    method, path, body = OTHER_RECORD_CASES[case]

    def check(who: str, status: int) -> None:
        client = api_client_for(actor_of(mw, who))
        url, payload = path(mw), body(mw) if body else None
        before = db_state()
        response = send(client, method, url, payload)
        assert response.status_code == status, response.content[:300]
        assert_envelope(response, "not_found")
        assert_unchanged(before)

    each_actor({"owner": 404, "admin": 404}, check)


# ---------------------------------------------------------------- lists: exactly what the role reaches


def _ids(client: Any, path: str) -> list[int]:
    response = client.get(path, {"limit": 200})
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["next_cursor"] is None
    return [item["id"] for item in body["items"]]


def _visible(w: Any, who: str, endpoint: str) -> set[int]:
    """What each actor should see, computed from the database without the access layer."""
    member = actor_of(w, who)
    ws = member.workspace_id
    admin_like = who in ("owner", "admin", "other")
    if endpoint == "members":
        return set(Membership.objects.filter(workspace_id=ws).values_list("pk", flat=True))
    if endpoint == "invites":
        return (
            set(Invite.objects.filter(workspace_id=ws).values_list("pk", flat=True)) if admin_like else set()
        )
    if endpoint == "teams":
        return set(Team.objects.filter(workspace_id=ws).values_list("pk", flat=True))
    if endpoint == "roles":
        if admin_like or who == "manager":
            return set(Role.objects.filter(workspace_id=ws).values_list("pk", flat=True))
        return set()
    if endpoint == "tokens":
        tokens = ApiToken.objects.filter(workspace_id=ws)
        if not admin_like:
            tokens = tokens.filter(membership=member)
        return set(tokens.values_list("pk", flat=True))
    if endpoint == "audit-events":
        entries = AuditEntry.objects.filter(workspace_id=ws)
        if who == "manager":
            teammates = Membership.objects.filter(teams__in=member.team_ids()).values("pk")
            entries = entries.filter(Q(actor=member) | Q(actor__in=teammates))
        elif not admin_like:
            return set()
        return set(entries.values_list("pk", flat=True))
    raise AssertionError(endpoint)


@pytest.mark.parametrize("endpoint", ["members", "invites", "teams", "roles", "tokens", "audit-events"])
def test_lists_show_exactly_what_the_role_reaches(mw, api_client_for, endpoint):
    def check(who: str, status: int) -> None:
        client = api_client_for(actor_of(mw, who))
        seen = _ids(client, f"{API}/{endpoint}")
        assert len(seen) == len(set(seen)), "a row was listed twice"
        assert set(seen) == _visible(mw, who, endpoint)

    each_actor(dict.fromkeys([*ACME_ACTORS, "other"], 200), check)


def test_workspaces_list_shows_only_the_tokens_workspace(mw, api_client_for):
    def check(who: str, status: int) -> None:
        member = actor_of(mw, who)
        # the same person also belongs to the other workspace: a token still sees only its own
        make_member(mw.other_workspace if who != "other" else mw.workspace, "read_only", user=member.user)
        response = api_client_for(member).get(f"{API}/workspaces")
        assert response.status_code == status
        assert [(w["id"], w["is_current"]) for w in response.json()] == [(member.workspace_id, True)]

    each_actor(dict.fromkeys([*ACME_ACTORS, "other"], 200), check)


def test_audit_of_another_workspace_cannot_be_filtered_into_view(mw, api_client_for):
    """Filtering by another workspace's record, actor or entity finds nothing."""
    client = api_client_for(mw.owner)
    foreign = AuditEntry.objects.filter(workspace=mw.other_workspace).first()
    for params in (
        {"record_id": foreign.record_id, "entity": foreign.entity},
        {"actor_id": mw.other_owner.pk},
    ):
        response = client.get(f"{API}/audit-events", params)
        assert response.status_code == 200
        assert all(
            item["id"] not in _visible(mw, "other", "audit-events") for item in response.json()["items"]
        )
        if "actor_id" in params:
            assert response.json()["items"] == []


def test_deactivated_member_is_refused_everywhere(mw, api_client_for):
    """A member deactivated after their token was made: every endpoint answers 401 and changes nothing."""
    client = api_client_for(mw.rep)
    services.member_deactivate(actor=mw.owner, member=mw.rep)
    requests = [
        (case, method, path(mw), body(mw) if body else None) for case, (method, path, body) in CASES.items()
    ]
    before = db_state()
    for case, method, url, payload in requests:
        response = send(client, method, url, payload)
        assert response.status_code == 401, case
        assert_envelope(response, "not_authenticated")
    assert_unchanged(before)
