"""REST endpoints of accounts: me, workspaces, members, invites, teams, roles, tokens, audit events.

Each operation: parse (schema) → authorize (access) → act (service) → shape (redacted output).
"""

from __future__ import annotations

import datetime
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema
from ninja.responses import Status

from peyvand.accounts import access, selectors, services
from peyvand.accounts.models import ApiToken, Invite, Membership, Role, Team
from peyvand.accounts.policy import Action, redact
from peyvand.accounts.schemas import (
    AuditEventOut,
    InviteCreatedOut,
    InviteIn,
    InviteOut,
    MemberOut,
    MemberPatchIn,
    MeOut,
    RoleIn,
    RoleOut,
    RolePatchIn,
    TeamIn,
    TeamOut,
    TeamPatchIn,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    WorkspaceBriefOut,
    WorkspaceCreateIn,
    WorkspaceOut,
    WorkspacePatchIn,
)
from peyvand.core import recycle
from peyvand.core.api import ERRORS_READ, ERRORS_WRITE, ErrorOut, QueryIn, expected_version
from peyvand.core.errors import NotFoundError
from peyvand.core.pagination import keyset_page

router = Router(tags=["accounts"])
T = TypeVar("T")


class PageOut(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None


def _member(request: HttpRequest) -> Membership:
    return request.member  # type: ignore[attr-defined,no-any-return]


def member_out(viewer: Membership, member: Membership, team_ids: list[int] | None = None) -> dict[str, Any]:
    """A member as the API shows it to `viewer` (hidden fields removed). Pass `team_ids` when known."""
    data: dict[str, Any] = {
        "id": member.pk,
        "user": {"id": member.user_id, "email": member.user.email, "full_name": member.user.full_name},
        "email": member.user.email,
        "role": {"id": member.role_id, "name": member.role.name, "key": member.role.key},
        "teams": team_ids if team_ids is not None else [t.pk for t in member.teams.all()],
        "is_active": member.is_active,
        "language": member.language,
        "version": member.version,
        "created_at": member.created_at,
        "deactivated_at": member.deactivated_at,
    }
    data = redact(viewer, "member", data)
    if "email" not in data:
        data["user"]["email"] = ""
    data["team_ids"] = data.pop("teams", None)
    return data


def workspace_out(viewer: Membership, workspace: Any) -> dict[str, Any]:
    data = {f: getattr(workspace, f) for f in WorkspaceOut.model_fields}
    visible = redact(viewer, "workspace", data)
    return {name: visible.get(name) for name in data}


def token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "member_id": token.membership_id,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


def invite_out(invite: Invite) -> dict[str, Any]:
    return {
        "id": invite.pk,
        "email": invite.email,
        "role": {"id": invite.role.pk, "name": invite.role.name, "key": invite.role.key}
        if invite.role
        else None,
        "team_ids": [t.pk for t in invite.teams.all()],
        "status": invite.status,
        "created_at": invite.created_at,
        "expires_at": invite.expires_at,
        "invited_by_id": invite.invited_by_id,
    }


# ------------------------------------------------------------------ me


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="The member this request acts as")
def get_me(request: HttpRequest) -> dict[str, Any]:
    member = _member(request)
    return {
        "user": {"id": member.user_id, "email": member.user.email, "full_name": member.user.full_name},
        "member": member_out(member, member, team_ids=member.team_ids()),
        "workspace": workspace_out(member, member.workspace),
        "permissions": member.role.permissions,
        "field_rules": {} if member.role.is_locked else member.role.field_rules,
    }


# ------------------------------------------------------------------ workspaces


@router.get("/workspaces", response={200: list[WorkspaceBriefOut], 401: ErrorOut})
def list_workspaces(request: HttpRequest) -> list[dict[str, Any]]:
    """The workspaces the signed-in user belongs to (a token sees only its own)."""
    member = _member(request)
    memberships = access.workspaces_of_user(member.user).select_related("role")
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        memberships = memberships.filter(pk=member.pk)
    return [
        {"id": m.workspace_id, "name": m.workspace.name, "role": m.role.name, "is_current": m.pk == member.pk}
        for m in memberships
    ]


@router.post("/workspaces", response={201: WorkspaceOut, **ERRORS_WRITE})
def create_workspace(request: HttpRequest, payload: WorkspaceCreateIn) -> Status:
    """Create a new workspace; the caller becomes its owner."""
    member = _member(request)
    workspace, _owner = services.workspace_create(user=member.user, **payload.model_dump())
    return Status(201, workspace)


def _current_workspace(request: HttpRequest, workspace_id: int, action: str) -> Any:
    member = _member(request)
    if workspace_id != member.workspace_id:
        raise NotFoundError()
    return access.access_workspace(member=member, action=action)


@router.get("/workspaces/{workspace_id}", response={200: WorkspaceOut, 403: ErrorOut, **ERRORS_READ})
def get_workspace(request: HttpRequest, workspace_id: int) -> dict[str, Any]:
    return workspace_out(_member(request), _current_workspace(request, workspace_id, Action.VIEW))


@router.patch("/workspaces/{workspace_id}", response={200: WorkspaceOut, **ERRORS_WRITE})
def update_workspace(request: HttpRequest, workspace_id: int, payload: WorkspacePatchIn) -> dict[str, Any]:
    workspace = _current_workspace(request, workspace_id, Action.CHANGE)
    changes = payload.model_dump(exclude_unset=True)
    version, precondition = expected_version(request, changes.pop("expected_version", None))
    workspace = services.workspace_update(
        actor=_member(request),
        workspace=workspace,
        changes=changes,
        expected_version=version,
        precondition=precondition,
    )
    return workspace_out(_member(request), workspace)


# ------------------------------------------------------------------ members


class MemberFilters(QueryIn):
    search: str | None = None
    is_active: bool | None = None
    role_id: int | None = None
    team_id: int | None = None
    limit: int | None = None
    cursor: str | None = None


@router.get("/members", response={200: PageOut[MemberOut], **ERRORS_READ})
def list_members(request: HttpRequest, filters: Query[MemberFilters]) -> dict[str, Any]:
    member = _member(request)
    qs = selectors.member_list(
        member,
        search=filters.search,
        is_active=filters.is_active,
        role_id=filters.role_id,
        team_id=filters.team_id,
        with_teams=False,
    )
    page = keyset_page(qs, ordering="id", limit=filters.limit, cursor=filters.cursor)
    teams = selectors.team_ids_by_member([m.pk for m in page.items])
    items = [member_out(member, m, team_ids=teams[m.pk]) for m in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


@router.get("/members/{member_id}", response={200: MemberOut, **ERRORS_READ})
def get_member(request: HttpRequest, member_id: int) -> dict[str, Any]:
    viewer = _member(request)
    return member_out(viewer, access.access_member(member=viewer, member_id=member_id))


@router.patch("/members/{member_id}", response={200: MemberOut, **ERRORS_WRITE})
def update_member(request: HttpRequest, member_id: int, payload: MemberPatchIn) -> dict[str, Any]:
    """Change a member's role (`role_id`) and/or teams (`team_ids`)."""
    viewer = _member(request)
    action = Action.ASSIGN if payload.role_id is not None else Action.CHANGE
    target = access.access_member(member=viewer, member_id=member_id, action=action)
    if payload.team_ids is not None and action != Action.CHANGE:
        access.access_member(member=viewer, member_id=member_id, action=Action.CHANGE)
    role = access.assignable_role(member=viewer, role_id=payload.role_id) if payload.role_id else None
    teams = (
        access.assignable_teams(member=viewer, team_ids=payload.team_ids)
        if payload.team_ids is not None
        else None
    )
    version, precondition = expected_version(request, payload.expected_version)
    updated = services.member_update(
        actor=viewer,
        member=target,
        role=role,
        teams=teams,
        expected_version=version,
        precondition=precondition,
    )
    return member_out(viewer, selectors.member_with_teams(updated.pk))


@router.post("/members/{member_id}/deactivate", response={200: MemberOut, **ERRORS_WRITE})
def deactivate_member(request: HttpRequest, member_id: int) -> dict[str, Any]:
    viewer = _member(request)
    target = access.access_member(member=viewer, member_id=member_id, action=Action.DELETE)
    services.member_deactivate(actor=viewer, member=target)
    return member_out(viewer, selectors.member_with_teams(target.pk))


@router.post("/members/{member_id}/reactivate", response={200: MemberOut, **ERRORS_WRITE})
def reactivate_member(request: HttpRequest, member_id: int) -> dict[str, Any]:
    viewer = _member(request)
    target = access.access_member(member=viewer, member_id=member_id, action=Action.DELETE)
    services.member_reactivate(actor=viewer, member=target)
    return member_out(viewer, selectors.member_with_teams(target.pk))


# ------------------------------------------------------------------ invites


class ListParams(QueryIn):
    limit: int | None = None
    cursor: str | None = None


@router.get("/invites", response={200: PageOut[InviteOut], **ERRORS_READ})
def list_invites(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    qs = access.invites_visible_to(_member(request)).prefetch_related("teams")
    page = keyset_page(qs, ordering="-id", limit=params.limit, cursor=params.cursor)
    return {"items": [invite_out(i) for i in page.items], "next_cursor": page.next_cursor}


@router.post("/invites", response={201: InviteCreatedOut, **ERRORS_WRITE})
def create_invite(request: HttpRequest, payload: InviteIn) -> Status:
    """Invite someone by e-mail; the link (also e-mailed) is in `accept_url` and works once."""
    member = _member(request)
    access.require(member, Action.CREATE, "member")
    role = access.assignable_role(member=member, role_id=payload.role_id)
    teams = access.assignable_teams(member=member, team_ids=payload.team_ids)
    invite, raw = services.invite_create(actor=member, email=str(payload.email), role=role, teams=teams)
    url = settings.SITE_URL + reverse("accounts:invite_accept", args=[raw])
    return Status(201, invite_out(invite) | {"accept_url": url})


@router.delete("/invites/{invite_id}", response={200: InviteOut, **ERRORS_WRITE})
def revoke_invite(request: HttpRequest, invite_id: int) -> dict[str, Any]:
    member = _member(request)
    invite = access.access_invite(member=member, invite_id=invite_id)
    return invite_out(services.invite_revoke(actor=member, invite=invite))


# ------------------------------------------------------------------ teams


class TeamFilters(ListParams):
    search: str | None = None


@router.get("/teams", response={200: PageOut[TeamOut], **ERRORS_READ})
def list_teams(request: HttpRequest, filters: Query[TeamFilters]) -> dict[str, Any]:
    qs = access.teams_visible_to(_member(request))
    if filters.search:
        qs = qs.filter(name__icontains=filters.search)
    page = keyset_page(qs, ordering="id", limit=filters.limit, cursor=filters.cursor)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/teams", response={201: TeamOut, **ERRORS_WRITE})
def create_team(request: HttpRequest, payload: TeamIn) -> Status:
    member = _member(request)
    access.require(member, Action.CREATE, "team")
    return Status(201, services.team_create(actor=member, **payload.model_dump()))


@router.get("/teams/{team_id}", response={200: TeamOut, **ERRORS_READ})
def get_team(request: HttpRequest, team_id: int) -> Team:
    return access.access_team(member=_member(request), team_id=team_id)


@router.patch("/teams/{team_id}", response={200: TeamOut, **ERRORS_WRITE})
def update_team(request: HttpRequest, team_id: int, payload: TeamPatchIn) -> Team:
    member = _member(request)
    team = access.access_team(member=member, team_id=team_id, action=Action.CHANGE)
    changes = payload.model_dump(exclude_unset=True)
    version, precondition = expected_version(request, changes.pop("expected_version", None))
    return services.team_update(
        actor=member, team=team, changes=changes, expected_version=version, precondition=precondition
    )


@router.delete("/teams/{team_id}", response={204: None, **ERRORS_WRITE})
def delete_team(request: HttpRequest, team_id: int) -> Status:
    """Move the team to the recycle bin (restore it from there or with POST /teams/{id}/restore)."""
    member = _member(request)
    team = access.access_team(member=member, team_id=team_id, action=Action.DELETE)
    recycle.soft_delete(actor=member, record=team)
    return Status(204, None)


@router.post("/teams/{team_id}/restore", response={200: TeamOut, **ERRORS_WRITE})
def restore_team(request: HttpRequest, team_id: int) -> Team:
    member = _member(request)
    access.require(member, Action.DELETE, "team")
    team = selectors.deleted_team(member, team_id)
    return recycle.restore(actor=member, record=team)  # type: ignore[no-any-return]


# ------------------------------------------------------------------ roles


@router.get("/roles", response={200: PageOut[RoleOut], **ERRORS_READ})
def list_roles(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    page = keyset_page(
        access.roles_visible_to(_member(request)), ordering="id", limit=params.limit, cursor=params.cursor
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/roles", response={201: RoleOut, **ERRORS_WRITE})
def create_role(request: HttpRequest, payload: RoleIn) -> Status:
    member = _member(request)
    access.require(member, Action.CREATE, "role")
    return Status(201, services.role_create(actor=member, **payload.model_dump()))


@router.get("/roles/{role_id}", response={200: RoleOut, **ERRORS_READ})
def get_role(request: HttpRequest, role_id: int) -> Role:
    return access.access_role(member=_member(request), role_id=role_id)


@router.patch("/roles/{role_id}", response={200: RoleOut, **ERRORS_WRITE})
def update_role(request: HttpRequest, role_id: int, payload: RolePatchIn) -> Role:
    member = _member(request)
    role = access.access_role(member=member, role_id=role_id, action=Action.CHANGE)
    changes = payload.model_dump(exclude_unset=True)
    version, precondition = expected_version(request, changes.pop("expected_version", None))
    return services.role_update(
        actor=member, role=role, changes=changes, expected_version=version, precondition=precondition
    )


@router.delete("/roles/{role_id}", response={204: None, **ERRORS_WRITE})
def delete_role(request: HttpRequest, role_id: int) -> Status:
    member = _member(request)
    role = access.access_role(member=member, role_id=role_id, action=Action.DELETE)
    recycle.soft_delete(actor=member, record=role)
    return Status(204, None)


# ------------------------------------------------------------------ tokens


@router.get("/tokens", response={200: PageOut[TokenOut], **ERRORS_READ})
def list_tokens(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    page = keyset_page(
        access.tokens_visible_to(_member(request)), ordering="-id", limit=params.limit, cursor=params.cursor
    )
    return {"items": [token_out(t) for t in page.items], "next_cursor": page.next_cursor}


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS_WRITE})
def create_token(request: HttpRequest, payload: TokenIn) -> Status:
    """Create a personal token for yourself. The `token` value is shown only in this response."""
    member = _member(request)
    access.require(member, Action.CREATE, "token")
    token, raw = services.token_create(actor=member, name=payload.name, expires_at=payload.expires_at)
    return Status(201, token_out(token) | {"token": raw})


@router.delete("/tokens/{token_id}", response={200: TokenOut, **ERRORS_WRITE})
def revoke_token(request: HttpRequest, token_id: int) -> dict[str, Any]:
    member = _member(request)
    token = access.access_token(member=member, token_id=token_id, action=Action.DELETE)
    return token_out(services.token_revoke(actor=member, token=token))


# ------------------------------------------------------------------ audit


class AuditFilters(ListParams):
    entity: str | None = None
    record_id: str | None = None
    actor_id: int | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None


@router.get("/audit-events", response={200: PageOut[AuditEventOut], **ERRORS_READ})
def list_audit_events(request: HttpRequest, filters: Query[AuditFilters]) -> dict[str, Any]:
    """The workspace audit trail, newest first, filtered by entity, record, member and time."""
    member = _member(request)
    qs = selectors.audit_list(
        member,
        entity=filters.entity,
        record_id=filters.record_id,
        actor_id=filters.actor_id,
        since=filters.since,
        until=filters.until,
    )
    page = keyset_page(qs, ordering="-id", limit=filters.limit, cursor=filters.cursor)
    return {"items": selectors.audit_redacted(member, page.items), "next_cursor": page.next_cursor}
