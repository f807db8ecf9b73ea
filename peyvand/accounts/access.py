"""The only ways in to accounts records: `<things>_visible_to(member)` and `access_<thing>(...)`.

A record the member cannot see answers NotFoundError (404), exactly like a missing one; PermissionDenied
(403) only when the member can see it but may not do the action.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from peyvand.accounts.models import ApiToken, Invite, InviteQuerySet, Membership, Role, Team, Workspace
from peyvand.accounts.policy import Action
from peyvand.core.errors import NotFoundError, PermissionDeniedError
from peyvand.core.models import AuditEntry


def require(member: Membership, action: str, entity: str, message: str | None = None) -> None:
    """Refuse (403) an action the member's role grants at no scope, e.g. creating a team."""
    if not member.may(action, entity=entity):
        raise PermissionDeniedError(message)


def access_binned(*, member: Membership, model: type[Any], entity: str, record_id: int) -> Any:
    """A record of the recycle bin that the member could see when it was alive (else 404) and may delete —
    the permission restoring takes (else 403)."""
    from peyvand.core import recycle

    rows: Any = recycle.deleted_rows(model, member.workspace_id)
    record = rows.within_scope(member.scope_for(entity, Action.VIEW), member).filter(pk=record_id).first()
    if record is None:
        raise NotFoundError()
    if not member.may(Action.DELETE, record, entity=entity):
        raise PermissionDeniedError()
    return record


def _check(member: Membership, record: Any, action: str) -> Any:
    if action != Action.VIEW and not member.may(action, record):
        raise PermissionDeniedError()
    return record


# ---- workspace


def access_workspace(*, member: Membership, action: str = Action.VIEW) -> Workspace:
    """The member's current workspace, if their role lets them `action` it."""
    if not member.may(action, member.workspace, entity="workspace"):
        raise PermissionDeniedError()
    return member.workspace


def workspaces_of_user(user: Any) -> QuerySet[Membership]:
    """The memberships a user may switch between (active only)."""
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("workspace")
        .order_by("workspace__name", "pk")
    )


# ---- members


def members_visible_to(member: Membership) -> QuerySet[Membership]:
    scope = member.scope_for("member", Action.VIEW)
    return (
        Membership.objects.in_workspace(member.workspace_id)
        .within_scope(scope, member)
        .select_related("user", "role")
    )


def access_member(*, member: Membership, member_id: int, action: str = Action.VIEW) -> Membership:
    found = members_visible_to(member).filter(pk=member_id).first()
    if found is None:
        raise NotFoundError(_("Member not found."))
    return _check(member, found, action)


# ---- invites (governed by the member entity)


def invites_visible_to(member: Membership) -> InviteQuerySet:
    if not member.may(Action.VIEW, entity="member") or not member.may(Action.CREATE, entity="member"):
        return Invite.objects.none()  # type: ignore[return-value]
    return Invite.objects.in_workspace(member.workspace_id).select_related(  # type: ignore[return-value]
        "role", "invited_by__user"
    )


def access_invite(*, member: Membership, invite_id: int) -> Invite:
    found = invites_visible_to(member).filter(pk=invite_id).first()
    if found is None:
        raise NotFoundError(_("Invitation not found."))
    return found


# ---- teams


def teams_visible_to(member: Membership) -> QuerySet[Team]:
    scope = member.scope_for("team", Action.VIEW)
    return Team.objects.in_workspace(member.workspace_id).within_scope(scope, member)


def access_team(*, member: Membership, team_id: int, action: str = Action.VIEW) -> Team:
    found = teams_visible_to(member).filter(pk=team_id).first()
    if found is None:
        raise NotFoundError(_("Team not found."))
    return _check(member, found, action)


# ---- roles


def roles_visible_to(member: Membership) -> QuerySet[Role]:
    scope = member.scope_for("role", Action.VIEW)
    return Role.objects.in_workspace(member.workspace_id).within_scope(scope, member)


def access_role(*, member: Membership, role_id: int, action: str = Action.VIEW) -> Role:
    found = roles_visible_to(member).filter(pk=role_id).first()
    if found is None:
        raise NotFoundError(_("Role not found."))
    return _check(member, found, action)


def assignable_role(*, member: Membership, role_id: int) -> Role:
    """A role `member` may give to someone (the role must exist in the workspace; seeing the roles list is
    not needed to assign one)."""
    found = Role.objects.in_workspace(member.workspace_id).filter(pk=role_id).first()
    if found is None:
        raise NotFoundError(_("Role not found."))
    return found


def assignable_teams(*, member: Membership, team_ids: list[int]) -> list[Team]:
    teams = list(Team.objects.in_workspace(member.workspace_id).filter(pk__in=team_ids))
    if len(teams) != len(set(team_ids)):
        raise NotFoundError(_("Team not found."))
    return teams


# ---- tokens


def tokens_visible_to(member: Membership) -> QuerySet[ApiToken]:
    scope = member.scope_for("token", Action.VIEW)
    return (
        ApiToken.objects.in_workspace(member.workspace_id)
        .within_scope(scope, member)
        .select_related("membership__user")
    )


def access_token(*, member: Membership, token_id: int, action: str = Action.VIEW) -> ApiToken:
    found = tokens_visible_to(member).filter(pk=token_id).first()
    if found is None:
        raise NotFoundError(_("Token not found."))
    return _check(member, found, action)


# ---- audit


def audit_visible_to(member: Membership) -> QuerySet[AuditEntry]:
    scope = member.scope_for("audit", Action.VIEW)
    return AuditEntry.objects.in_workspace(member.workspace_id).within_scope(scope, member)
