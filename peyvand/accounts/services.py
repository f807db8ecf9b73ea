"""Every write to accounts: one function per use case, each in one transaction with audit and event.

Callers (views, API, commands) have already checked access with `accounts.access`; services enforce the
invariants that hold whoever calls (last owner, locked roles, read-only fields, versions).
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts import policy
from peyvand.accounts.errors import (
    InviteNotUsableError,
    LastOwnerError,
    LockedRoleError,
    RoleInUseError,
)
from peyvand.accounts.models import ApiToken, Invite, Membership, Role, Team, User, Workspace
from peyvand.core import recycle
from peyvand.core.audit import audit, audit_change, audit_create, snapshot
from peyvand.core.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from peyvand.core.events import emit
from peyvand.core.models import AuditEntry
from peyvand.core.versioning import check_version, save_versioned
from peyvand.core.writes import full_clean, record_create, record_update

TOKEN_PREFIX = "pvk_"


def hash_secret(raw: str) -> str:
    """SHA-256 of a random secret (tokens, invite links): they carry 256 bits, so a slow hash adds nothing."""
    return hashlib.sha256(raw.encode()).hexdigest()


# ---------------------------------------------------------------- workspaces


@transaction.atomic
def workspace_create(*, user: User, name: str, **settings_values: Any) -> tuple[Workspace, Membership]:
    """Create a workspace with the six built-in roles and make `user` its owner.
    Emits workspace.created; the creation is audited as the new owner."""
    if isinstance(settings_values.get("country"), str):
        settings_values["country"] = settings_values["country"].upper()
    workspace = Workspace(name=name, **settings_values)
    if not workspace.country:  # so national phone numbers work from the start
        workspace.country = _COUNTRY_OF_LANGUAGE.get(workspace.language, "")
    full_clean(workspace)
    workspace.save()
    roles = roles_create_builtin(workspace)
    member = Membership.objects.create(workspace=workspace, user=user, role=roles["owner"])
    audit_create(actor=member, record=workspace)
    audit_create(actor=member, record=member)
    emit(workspace.pk, "workspace.created", workspace, {"name": workspace.name})
    return workspace, member


_COUNTRY_OF_LANGUAGE = {"fa": "IR", "th": "TH"}
WORKSPACE_FIELDS = ("name", "default_currency", "language", "calendar", "time_zone", "week_start", "country")


@transaction.atomic
def workspace_update(
    *,
    actor: Membership,
    workspace: Workspace,
    changes: dict[str, Any],
    expected_version: int | None = None,
    precondition: bool = False,
) -> Workspace:
    """Change workspace settings. Stale versions refused; read-only fields refused; audited;
    emits workspace.updated (and workspace.renamed when the name changes)."""
    workspace = Workspace.objects.select_for_update().get(pk=workspace.pk)
    old_name = workspace.name
    if isinstance(changes.get("country"), str):
        changes = {**changes, "country": changes["country"].upper()}
    changed = record_update(
        actor=actor,
        record=workspace,
        changes=changes,
        allowed=WORKSPACE_FIELDS,
        expected_version=expected_version,
        precondition=precondition,
    )
    if "name" in changed:
        emit(workspace.pk, "workspace.renamed", workspace, {"from": old_name, "to": workspace.name})
    return workspace


# ---------------------------------------------------------------- roles


def roles_create_builtin(workspace: Workspace) -> dict[str, Role]:
    """The six built-in roles for a new workspace (Owner is locked: everything, always)."""
    roles = {}
    for key in policy.BUILTIN_ROLE_KEYS:
        roles[key] = Role.objects.create(
            workspace=workspace,
            key=key,
            name=str(policy.BUILTIN_ROLE_NAMES[key]),
            permissions=policy.default_permissions(key),
            is_locked=key == "owner",
        )
    return roles


def roles_sync_builtin(workspace: Workspace) -> int:
    """Give built-in roles the default grants of entities registered since they were made (new features);
    existing grants are never changed. Returns how many roles changed."""
    changed = 0
    for role in Role.objects.filter(workspace=workspace).exclude(key=""):
        defaults = policy.default_permissions(role.key)
        missing = {name: grants for name, grants in defaults.items() if name not in role.permissions}
        if role.is_locked:
            missing = {
                name: grants for name, grants in defaults.items() if role.permissions.get(name) != grants
            }
        if missing:
            role.permissions = {**role.permissions, **missing}
            role.save(update_fields=["permissions"])
            changed += 1
    return changed


def roles_sync_all() -> int:
    """roles_sync_builtin for every workspace (run after migrations, when features add entities)."""
    return sum(roles_sync_builtin(workspace) for workspace in Workspace.objects.all())


@transaction.atomic
def role_create(
    *, actor: Membership, name: str, description: str = "", permissions: Any = None, field_rules: Any = None
) -> Role:
    """A custom role; grants and field rules are validated against the entity registry."""
    role = Role(
        workspace_id=actor.workspace_id,
        name=name.strip(),
        description=description,
        permissions=policy.clean_permissions(permissions or {}),
        field_rules=policy.clean_field_rules(field_rules or {}, actor.workspace_id),
    )
    return record_create(actor=actor, record=role)


@transaction.atomic
def role_update(
    *,
    actor: Membership,
    role: Role,
    changes: dict[str, Any],
    expected_version: int | None = None,
    precondition: bool = False,
) -> Role:
    """Edit a role's name, description, grants or field rules. The Owner role is locked, and nobody can
    take away their own right to edit roles (they could not undo it)."""
    if role.is_locked:
        raise LockedRoleError()
    cleaned = dict(changes)
    if "permissions" in cleaned:
        cleaned["permissions"] = policy.clean_permissions(cleaned["permissions"])
        if role.pk == actor.role_id and cleaned["permissions"].get("role", {}).get("change") != "all":
            raise ValidationFailedError(
                fields={"permissions": [_("You cannot remove your own right to edit roles.")]}
            )
    if "field_rules" in cleaned:
        cleaned["field_rules"] = policy.clean_field_rules(cleaned["field_rules"], role.workspace_id)
    if isinstance(cleaned.get("name"), str):
        cleaned["name"] = cleaned["name"].strip()
    record_update(
        actor=actor,
        record=role,
        changes=cleaned,
        allowed=("name", "description", "permissions", "field_rules"),
        expected_version=expected_version,
        precondition=precondition,
    )
    return role


def _role_delete_guard(role: Role) -> None:
    if role.is_locked or role.key == "owner":
        raise LockedRoleError()
    if Membership.objects.filter(role=role).exists() or Invite.objects.pending().filter(role=role).exists():
        raise RoleInUseError()


def _unique_name_guard(record: Any) -> None:
    model = type(record)
    if model.objects.filter(workspace_id=record.workspace_id, name__iexact=record.name).exists():
        raise ConflictError(_("Another record already has the name “%(name)s”.") % {"name": record.name})


# ---------------------------------------------------------------- teams


@transaction.atomic
def team_create(*, actor: Membership, name: str, description: str = "") -> Team:
    team = Team(workspace_id=actor.workspace_id, name=name.strip(), description=description.strip())
    return record_create(actor=actor, record=team)


@transaction.atomic
def team_update(
    *,
    actor: Membership,
    team: Team,
    changes: dict[str, Any],
    expected_version: int | None = None,
    precondition: bool = False,
) -> Team:
    cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in changes.items()}
    record_update(
        actor=actor,
        record=team,
        changes=cleaned,
        allowed=("name", "description"),
        expected_version=expected_version,
        precondition=precondition,
    )
    return team


# ---------------------------------------------------------------- members


def _owner_count(workspace_id: int) -> int:
    return Membership.objects.filter(workspace_id=workspace_id, role__key="owner", is_active=True).count()


_SCOPE_RANK = {"none": 0, "own": 1, "team": 2, "all": 3}
_RULE_RANK = {"": 0, "read_only": 1, "hidden": 2}


def _within_reach(actor: Membership, role: Role) -> bool:
    """Whether `role` grants nothing beyond `actor`'s own role (no wider scope, no field the actor may not
    see or change). Nobody hands out, or takes away, more than they hold; the Owner role holds everything."""
    if actor.role.is_locked:
        return True
    for entity, grants in role.permissions.items():
        for action, scope in grants.items():
            if _SCOPE_RANK.get(scope, 3) > _SCOPE_RANK.get(actor.scope_for(entity, action), 0):
                return False
    for entity, rules in actor.role.field_rules.items():
        for field_name, rule in rules.items():
            granted = role.field_rules.get(entity, {}).get(field_name, "")
            if _RULE_RANK.get(granted, 0) < _RULE_RANK.get(rule, 0):
                return False
    return True


@transaction.atomic
def member_update(
    *,
    actor: Membership,
    member: Membership,
    role: Role | None = None,
    teams: list[Team] | None = None,
    expected_version: int | None = None,
    precondition: bool = False,
) -> Membership:
    """Change a member's role and/or teams. Only an owner grants or removes the Owner role; the last
    active owner keeps it. Audited (teams as a list of ids); emits member.updated."""
    member = Membership.objects.select_related("role", "user").get(pk=member.pk)
    check_version(member, expected_version, precondition=precondition)
    before = snapshot(member)
    extra: dict[str, Any] = {}
    changed: list[str] = []
    if role is not None and role.pk != member.role_id:
        if role.workspace_id != member.workspace_id:
            raise ValidationFailedError(fields={"role": [_("Unknown role.")]})
        if (role.key == "owner" or member.role.key == "owner") and actor.role.key != "owner":
            raise PermissionDeniedError(_("Only an owner can grant or remove the Owner role."))
        if not (_within_reach(actor, role) and _within_reach(actor, member.role)):
            raise PermissionDeniedError(
                _("You may not give or take away a role that reaches further than yours.")
            )
        if member.role.key == "owner" and member.is_active and _owner_count(member.workspace_id) <= 1:
            raise LastOwnerError()
        member.role = role
        changed.append("role")
    if teams is not None:
        if any(team.workspace_id != member.workspace_id for team in teams):
            raise ValidationFailedError(fields={"teams": [_("Unknown team.")]})
        old = sorted(member.teams.values_list("pk", flat=True))
        new = sorted({team.pk for team in teams})
        if old != new:
            member.teams.set(new)
            extra["teams"] = [old, new]
    if not changed and not extra:
        return member
    policy.check_writable(actor, "member", changed + (["teams"] if extra else []))
    save_versioned(member, update_fields=changed or ["role"])
    member.__dict__.pop("_team_ids", None)
    audit_change(actor=actor, record=member, before=before, extra=extra)
    emit(member.workspace_id, "member.updated", member, {"fields": changed + list(extra)})
    return member


@transaction.atomic
def member_deactivate(*, actor: Membership, member: Membership) -> Membership:
    """Deactivate a member: from their next request, their sessions and tokens for this workspace stop
    working (checked on every request). The last active owner cannot be deactivated. Idempotent."""
    if not member.is_active:
        return member
    if member.role.key == "owner":
        if actor.role.key != "owner":
            raise PermissionDeniedError(_("Only an owner can deactivate an owner."))
        if _owner_count(member.workspace_id) <= 1:
            raise LastOwnerError()
    before = snapshot(member)
    member.is_active = False
    member.deactivated_at = timezone.now()
    save_versioned(member, update_fields=["is_active", "deactivated_at"])
    audit_change(actor=actor, record=member, before=before)
    emit(member.workspace_id, "member.deactivated", member)
    return member


@transaction.atomic
def member_reactivate(*, actor: Membership, member: Membership) -> Membership:
    if member.is_active:
        return member
    before = snapshot(member)
    member.is_active = True
    member.deactivated_at = None
    save_versioned(member, update_fields=["is_active", "deactivated_at"])
    audit_change(actor=actor, record=member, before=before)
    emit(member.workspace_id, "member.reactivated", member)
    return member


@transaction.atomic
def member_set_language(*, member: Membership, language: str) -> Membership:
    """Remember the member's chosen interface language (empty: the workspace's)."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationFailedError(fields={"language": [_("Unknown language.")]})
    if member.language != language:
        before = snapshot(member)
        member.language = language
        save_versioned(member, update_fields=["language"])
        audit_change(actor=member, record=member, before=before)
    return member


# ---------------------------------------------------------------- invites


@transaction.atomic
def invite_create(
    *, actor: Membership, email: str, role: Role, teams: Iterable[Team] = ()
) -> tuple[Invite, str]:
    """Invite `email` with `role`. Returns the invite and its secret link token (shown/sent once, stored
    hashed). Emits member.invited, whose consumer sends the e-mail after commit."""
    email = User.objects.normalize_email(email).strip().lower()
    if role.workspace_id != actor.workspace_id:
        raise ValidationFailedError(fields={"role_id": [_("Unknown role.")]})
    if role.key == "owner" and actor.role.key != "owner":
        raise PermissionDeniedError(_("Only an owner can invite another owner."))
    if not _within_reach(actor, role):
        raise PermissionDeniedError(_("You may not give a role that reaches further than yours."))
    if Membership.objects.filter(
        workspace_id=actor.workspace_id, user__email__iexact=email, is_active=True
    ).exists():
        raise ConflictError(_("%(email)s is already a member of this workspace.") % {"email": email})
    raw = secrets.token_urlsafe(32)
    invite = Invite(
        workspace_id=actor.workspace_id,
        email=email,
        role=role,
        token_hash=hash_secret(raw),
        invited_by=actor,
        expires_at=timezone.now() + datetime.timedelta(days=settings.PEYVAND_INVITE_DAYS),
    )
    full_clean(invite, exclude=["teams"])
    # An earlier pending invite to the same address is superseded, so only the newest link works.
    for old in Invite.objects.pending().filter(workspace_id=actor.workspace_id, email__iexact=email):
        invite_revoke(actor=actor, invite=old)
    invite.save()
    team_list = list(teams)
    if any(team.workspace_id != actor.workspace_id for team in team_list):
        raise ValidationFailedError(fields={"team_ids": [_("Unknown team.")]})
    invite.teams.set(team_list)
    audit_create(actor=actor, record=invite)
    emit(invite.workspace_id, "member.invited", invite, {"email": email})
    # The raw link exists only in memory: it is e-mailed after commit and never stored.
    invite_id = invite.pk
    transaction.on_commit(lambda: invite_send_email(invite_id=invite_id, raw_token=raw))
    return invite, raw


def invite_send_email(*, invite_id: int, raw_token: str) -> None:
    """E-mail the invitation link, in the workspace's language."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation

    invite = Invite.objects.select_related("workspace", "invited_by__user").get(pk=invite_id)
    link = settings.SITE_URL + reverse("accounts:invite_accept", args=[raw_token])
    with translation.override(invite.workspace.language):
        context = {"invite": invite, "link": link, "days": settings.PEYVAND_INVITE_DAYS}
        subject = _("You are invited to %(workspace)s on Peyvand") % {"workspace": invite.workspace.name}
        body = render_to_string("accounts/email/invite.txt", context)
    send_mail(subject, body, None, [invite.email])


@transaction.atomic
def invite_revoke(*, actor: Membership, invite: Invite) -> Invite:
    if invite.status != "pending":
        return invite
    invite.revoked_at = timezone.now()
    invite.save(update_fields=["revoked_at"])
    audit(actor=actor, record=invite, action=AuditEntry.Action.REVOKE)
    emit(invite.workspace_id, "invite.revoked", invite)
    return invite


def invite_find(raw_token: str) -> Invite:
    """The pending invite behind a link token; InviteNotUsableError if unknown, used, revoked or expired."""
    invite = (
        Invite.objects.select_related("workspace", "role")
        .filter(token_hash=hash_secret(raw_token or ""))
        .first()
    )
    if invite is None or invite.status != "pending":
        raise InviteNotUsableError()
    return invite


@transaction.atomic
def invite_accept(
    *, raw_token: str, user: User | None = None, full_name: str = "", password: str = ""
) -> Membership:
    """Accept an invite: as the signed-in `user` (whose e-mail must match), or by creating the account.
    A formerly deactivated member is reactivated with the invited role. Emits member.joined."""
    invite = invite_find(raw_token)
    Invite.objects.select_for_update().filter(pk=invite.pk).first()
    if user is None:
        user = User.objects.filter(email__iexact=invite.email).first()
        if user is not None:
            raise ConflictError(_("An account with this e-mail exists: sign in first, then open the link."))
        user = User(email=invite.email, full_name=full_name.strip())
        try:
            from django.contrib.auth.password_validation import validate_password

            validate_password(password, user)
        except ValidationError as error:
            raise ValidationFailedError(fields={"password": list(error.messages)}) from error
        user.set_password(password)
        full_clean(user, exclude=["password"])
        user.save()
    elif user.email.lower() != invite.email.lower():
        raise PermissionDeniedError(
            _("This invitation is for %(email)s; you are signed in as another account.")
            % {"email": invite.email}
        )
    role = invite.role
    if role is None or role.deleted_at is not None:
        raise InviteNotUsableError()
    member = Membership.objects.filter(workspace_id=invite.workspace_id, user=user).first()
    if member is None:
        member = Membership.objects.create(workspace_id=invite.workspace_id, user=user, role=role)
        audit_create(actor=member, record=member)
    else:
        before = snapshot(member)
        member.role = role
        member.is_active = True
        member.deactivated_at = None
        save_versioned(member, update_fields=["role", "is_active", "deactivated_at"])
        audit_change(actor=member, record=member, before=before)
    member.teams.set(invite.teams.all())
    invite.accepted_at = timezone.now()
    invite.accepted_by = member
    invite.save(update_fields=["accepted_at", "accepted_by"])
    emit(member.workspace_id, "member.joined", member, {"invite_id": invite.pk})
    return member


# ---------------------------------------------------------------- API tokens


@transaction.atomic
def token_create(
    *, actor: Membership, name: str, expires_at: datetime.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new personal token for `actor`. Returns it with the raw secret, which is never stored or shown
    again. Emits token.created."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailedError(fields={"expires_at": [_("Choose a time in the future.")]})
    secret = secrets.token_urlsafe(32)
    raw = f"{TOKEN_PREFIX}{secret}"
    token = ApiToken(
        workspace_id=actor.workspace_id,
        membership=actor,
        name=name.strip(),
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        key_hash=hash_secret(raw),
        expires_at=expires_at,
    )
    full_clean(token)
    token.save()
    audit_create(actor=actor, record=token)
    emit(token.workspace_id, "token.created", token)
    return token, raw


@transaction.atomic
def token_revoke(*, actor: Membership, token: ApiToken) -> ApiToken:
    """Revoke a token; it fails from the next request on. Idempotent."""
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit(actor=actor, record=token, action=AuditEntry.Action.REVOKE)
    emit(token.workspace_id, "token.revoked", token)
    return token


LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def token_authenticate(raw: str) -> Membership | None:
    """The active membership a raw bearer token acts as, or None (unknown, revoked, expired, member or
    user deactivated). Records last use at most once a minute, so reads stay reads."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    from peyvand.accounts.token_cache import token_lookup

    token = token_lookup(hash_secret(raw))
    if token is None or not token.is_usable:
        return None
    member = token.membership
    if not member.is_active or not member.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        # Conditional, so concurrent requests write once; last_used_at is part of the cache fingerprint.
        ApiToken.objects.filter(pk=token.pk, last_used_at=token.last_used_at).update(last_used_at=now)
    return member


# ---------------------------------------------------------------- users


@transaction.atomic
def user_create(*, email: str, password: str, full_name: str = "") -> User:
    try:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
    except IntegrityError as error:
        raise ConflictError(_("An account with this e-mail already exists.")) from error
    return user


def admin_create(*, email: str, password: str, workspace_name: str) -> tuple[Membership, bool]:
    """The `peyvand createadmin` use case: the user (created or password reset) becomes owner of the named
    workspace, which is created if missing. Returns the membership and whether the workspace is new."""
    from django.contrib.auth.password_validation import validate_password

    with transaction.atomic():
        email = email.strip().lower()
        try:
            from django.core.validators import validate_email

            validate_email(email)
        except ValidationError as error:
            raise ValidationFailedError(fields={"email": list(error.messages)}) from error
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User(email=email)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationFailedError(fields={"password": list(error.messages)}) from error
        user.set_password(password)
        user.save()
        workspace = Workspace.objects.filter(name=workspace_name).order_by("pk").first()
        if workspace is None:
            _workspace, owner = workspace_create(user=user, name=workspace_name)
            return owner, True
        owner_role = Role.objects.get(workspace=workspace, key="owner")
        member = Membership.objects.filter(workspace=workspace, user=user).first()
        if member is None:
            member = Membership.objects.create(workspace=workspace, user=user, role=owner_role)
            audit_create(actor=None, record=member)
        elif member.role_id != owner_role.pk or not member.is_active:
            before = snapshot(member)
            member.role, member.is_active, member.deactivated_at = owner_role, True, None
            save_versioned(member, update_fields=["role", "is_active", "deactivated_at"])
            audit_change(actor=None, record=member, before=before)
        return member, False


# ---------------------------------------------------------------- recycle bin entities

recycle.register_bin_entity(
    recycle.BinEntity("team", policy.entity("team").label, Team, restore_guard=_unique_name_guard)
)
recycle.register_bin_entity(
    recycle.BinEntity(
        "role", policy.entity("role").label, Role, guard=_role_delete_guard, restore_guard=_unique_name_guard
    )
)
