"""Reads shaped for screens and endpoints; each starts from a `*_visible_to(member)` chokepoint."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from peyvand.accounts import access
from peyvand.accounts.models import Membership, Team
from peyvand.accounts.policy import Action, hidden_fields
from peyvand.core.errors import NotFoundError
from peyvand.core.models import AuditEntry


def member_list(
    member: Membership,
    *,
    search: str | None = None,
    is_active: bool | None = None,
    role_id: int | None = None,
    team_id: int | None = None,
    with_teams: bool = True,
) -> QuerySet[Membership]:
    """Members `member` may see; with `with_teams`, their (live) teams prefetched in one query."""
    qs = access.members_visible_to(member)
    if with_teams:
        qs = qs.prefetch_related(Prefetch("teams", queryset=Team.objects.only("id", "name")))
    if search:
        term = search.strip()
        qs = qs.filter(Q(user__email__icontains=term) | Q(user__full_name__icontains=term))
    if is_active is not None:
        qs = qs.filter(is_active=is_active)
    if role_id is not None:
        qs = qs.filter(role_id=role_id)
    if team_id is not None:
        qs = qs.filter(teams=team_id)
    return qs


def team_ids_by_member(member_ids: list[int]) -> dict[int, list[int]]:
    """Live team ids of each of `member_ids`, from one query on the link table (cheaper than a prefetch)."""
    through = Membership.teams.through
    result: dict[int, list[int]] = {pk: [] for pk in member_ids}
    rows = (
        through.objects.filter(membership_id__in=member_ids, team__deleted_at__isnull=True)
        .order_by("team_id")
        .values_list("membership_id", "team_id")
    )
    for member_id, team_id in rows:
        result[member_id].append(team_id)
    return result


def member_with_teams(member_id: int) -> Membership:
    return Membership.objects.select_related("user", "role").prefetch_related("teams").get(pk=member_id)


def deleted_team(member: Membership, team_id: int) -> Team:
    """A team in the recycle bin that `member` may restore."""
    team = Team.all_objects.filter(
        workspace_id=member.workspace_id, pk=team_id, deleted_at__isnull=False
    ).first()
    if team is None or not member.may(Action.DELETE, team):
        raise NotFoundError()
    return team


def audit_list(
    member: Membership,
    *,
    entity: str | None = None,
    record_id: str | None = None,
    actor_id: int | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[AuditEntry]:
    qs = access.audit_visible_to(member)
    if entity:
        qs = qs.filter(entity=entity)
    if record_id:
        qs = qs.filter(record_id=record_id)
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs


def audit_redacted(member: Membership, entries: list[AuditEntry]) -> list[AuditEntry]:
    """Entries with changes to fields hidden from `member` removed (the same rule as everywhere else)."""
    hidden_by_entity: dict[str, set[str]] = {}
    for entry in entries:
        hidden = hidden_by_entity.setdefault(entry.entity, hidden_fields(member, entry.entity))
        if hidden:
            entry.changes = {k: v for k, v in entry.changes.items() if k not in hidden}
            custom = entry.changes.get("custom")  # a whole `custom` object (a creation) holds custom.<key>
            if isinstance(custom, list):
                entry.changes["custom"] = [_without_hidden_custom(side, hidden) for side in custom]
    return entries


def _without_hidden_custom(values: Any, hidden: set[str]) -> Any:
    if not isinstance(values, dict):
        return values
    return {k: v for k, v in values.items() if f"custom.{k}" not in hidden}


def record_history(member: Membership, entity: str, record_id: Any) -> QuerySet[AuditEntry]:
    """The history of one record the caller has already been allowed to see (access_<entity> first)."""
    return AuditEntry.objects.in_workspace(member.workspace_id).filter(
        entity=entity, record_id=str(record_id)
    )
