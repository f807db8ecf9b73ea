"""Business rules of accounts, tested at the services."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from peyvand.accounts import policy, services
from peyvand.accounts.errors import InviteNotUsableError, LastOwnerError, LockedRoleError, RoleInUseError
from peyvand.accounts.models import ApiToken, Invite, Membership, Role, Team, User
from peyvand.accounts.tests.factories import PASSWORD, UserFactory, make_member, make_workspace
from peyvand.core import recycle
from peyvand.core.context import Channel, acting_through
from peyvand.core.errors import (
    ConflictError,
    PermissionDeniedError,
    PreconditionFailedError,
    ValidationFailedError,
)
from peyvand.core.events import dispatch_pending
from peyvand.core.models import AuditEntry, EventDelivery, OutboxEvent


def test_new_workspace_has_builtin_roles_and_owner(db):
    workspace, owner = make_workspace("Acme", calendar="jalali", language="fa")
    keys = set(Role.objects.filter(workspace=workspace).values_list("key", flat=True))
    assert keys == set(policy.BUILTIN_ROLE_KEYS)
    assert owner.role.key == "owner" and owner.role.is_locked
    assert OutboxEvent.objects.filter(workspace=workspace, name="workspace.created").count() == 1
    assert AuditEntry.objects.filter(workspace=workspace, entity="workspace", action="create").count() == 1


def test_rename_is_versioned_audited_and_emits_event(world):
    with acting_through(Channel.UI):
        workspace = services.workspace_update(
            actor=world.owner, workspace=world.workspace, changes={"name": "Acme Iran"}, expected_version=1
        )
    assert workspace.version == 2
    entry = AuditEntry.objects.filter(workspace=world.workspace, entity="workspace", action="update").get()
    assert entry.changes == {"name": ["Acme", "Acme Iran"]}
    assert entry.channel == "ui" and entry.actor == world.owner
    event = OutboxEvent.objects.get(workspace=world.workspace, name="workspace.renamed")
    assert event.payload == {"from": "Acme", "to": "Acme Iran"}


def test_stale_version_is_refused_and_nothing_changes(world):
    services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"name": "B"})
    with pytest.raises(ConflictError):
        services.workspace_update(
            actor=world.owner, workspace=world.workspace, changes={"name": "C"}, expected_version=1
        )
    with pytest.raises(PreconditionFailedError):
        services.workspace_update(
            actor=world.owner,
            workspace=world.workspace,
            changes={"name": "C"},
            expected_version=1,
            precondition=True,
        )
    world.workspace.refresh_from_db()
    assert world.workspace.name == "B"


def test_workspace_settings_are_validated(world):
    for changes, field in [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"default_currency": "XYZ"}, "default_currency"),
        ({"calendar": "lunar"}, "calendar"),
        ({"name": ""}, "name"),
    ]:
        with pytest.raises(ValidationFailedError) as caught:
            services.workspace_update(actor=world.owner, workspace=world.workspace, changes=changes)
        assert field in caught.value.fields
    world.workspace.refresh_from_db()
    assert world.workspace.version == 1


def test_unchanged_save_is_a_no_op(world):
    services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"name": "Acme"})
    world.workspace.refresh_from_db()
    assert world.workspace.version == 1
    assert not AuditEntry.objects.filter(entity="workspace", action="update").exists()


def test_read_only_field_rule_is_enforced(world):
    role = world.admin.role
    services.role_update(
        actor=world.owner, role=role, changes={"field_rules": {"workspace": {"name": "read_only"}}}
    )
    admin = Membership.objects.select_related("role", "workspace", "user").get(pk=world.admin.pk)
    with pytest.raises(PermissionDeniedError) as refused:
        services.workspace_update(
            actor=admin, workspace=world.workspace, changes={"name": "X", "default_currency": "EUR"}
        )
    assert refused.value.message == "You may not change these fields: Name"  # the label, not the field key
    assert list(refused.value.fields) == ["name"]
    services.workspace_update(actor=admin, workspace=world.workspace, changes={"time_zone": "Asia/Tehran"})


def test_last_owner_is_protected(world):
    with pytest.raises(LastOwnerError):
        services.member_update(actor=world.owner, member=world.owner, role=world.admin.role)
    with pytest.raises(LastOwnerError):
        services.member_deactivate(actor=world.owner, member=world.owner)
    second = make_member(world.workspace, "owner")
    services.member_deactivate(actor=second, member=world.owner)
    assert not Membership.objects.get(pk=world.owner.pk).is_active


def test_only_owner_grants_owner(world):
    owner_role = Role.objects.get(workspace=world.workspace, key="owner")
    with pytest.raises(PermissionDeniedError):
        services.member_update(actor=world.admin, member=world.rep, role=owner_role)
    with pytest.raises(PermissionDeniedError):
        services.invite_create(actor=world.admin, email="boss@example.com", role=owner_role)


def test_member_teams_change_is_audited(world):
    services.member_update(actor=world.owner, member=world.rep, teams=[world.south])
    entry = AuditEntry.objects.filter(entity="member", record_id=str(world.rep.pk), action="update").get()
    assert entry.changes["teams"] == [[world.north.pk], [world.south.pk]]
    assert list(world.rep.teams.values_list("pk", flat=True)) == [world.south.pk]


def test_other_workspace_role_or_team_refused(world):
    foreign_role = Role.objects.get(workspace=world.other_workspace, key="admin")
    with pytest.raises(ValidationFailedError):
        services.member_update(actor=world.owner, member=world.rep, role=foreign_role)
    foreign_team = services.team_create(actor=world.other_owner, name="Foreign")
    with pytest.raises(ValidationFailedError):
        services.member_update(actor=world.owner, member=world.rep, teams=[foreign_team])
    assert world.rep.teams.get() == world.north


def test_owner_role_is_locked(world):
    owner_role = world.owner.role
    with pytest.raises(LockedRoleError):
        services.role_update(actor=world.owner, role=owner_role, changes={"name": "Boss"})
    with pytest.raises(LockedRoleError):
        recycle.soft_delete(actor=world.owner, record=owner_role)


def test_role_permissions_are_validated(world):
    with pytest.raises(ValidationFailedError):
        services.role_create(actor=world.owner, name="Bad", permissions={"team": {"view": "everything"}})
    with pytest.raises(ValidationFailedError):
        services.role_create(actor=world.owner, name="Bad", permissions={"nothing": {"view": "all"}})
    with pytest.raises(ValidationFailedError):
        services.role_create(actor=world.owner, name="Bad", field_rules={"member": {"shoe_size": "hidden"}})
    assert not Role.objects.filter(name="Bad").exists()


def test_role_in_use_cannot_be_deleted_until_free(world):
    role = services.role_create(actor=world.owner, name="Interns", permissions={"team": {"view": "all"}})
    intern = make_member(world.workspace, "read_only")
    services.member_update(actor=world.owner, member=intern, role=role)
    with pytest.raises(RoleInUseError):
        recycle.soft_delete(actor=world.owner, record=role)
    services.member_update(actor=world.owner, member=intern, role=world.read_only.role)
    recycle.soft_delete(actor=world.owner, record=role)
    assert not Role.objects.filter(pk=role.pk).exists()
    assert Role.all_objects.get(pk=role.pk).deleted_at is not None
    recycle.restore(actor=world.owner, record=Role.all_objects.get(pk=role.pk))
    assert Role.objects.filter(pk=role.pk).exists()


def test_team_soft_delete_restore_purge(world):
    team = world.south
    recycle.soft_delete(actor=world.owner, record=team)
    assert not Team.objects.filter(pk=team.pk).exists()
    assert list(world.outsider_rep.teams.all()) == []  # a deleted team gives no team scope
    recycle.restore(actor=world.owner, record=Team.all_objects.get(pk=team.pk))
    assert list(world.outsider_rep.teams.all()) == [team]
    recycle.soft_delete(actor=world.owner, record=Team.objects.get(pk=team.pk))
    recycle.purge(actor=world.owner, record=Team.all_objects.get(pk=team.pk))
    assert not Team.all_objects.filter(pk=team.pk).exists()
    actions = list(
        AuditEntry.objects.filter(entity="team", record_id=str(team.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "delete", "restore", "delete", "purge"]


def test_restore_refused_when_name_taken_meanwhile(world):
    recycle.soft_delete(actor=world.owner, record=world.south)
    services.team_create(actor=world.owner, name="south")
    with pytest.raises(ConflictError):
        recycle.restore(actor=world.owner, record=Team.all_objects.get(pk=world.south.pk))


def test_purge_expired_respects_retention(world):
    recycle.soft_delete(actor=world.owner, record=world.south)
    assert recycle.purge_expired(days=30) == 0
    later = timezone.now() + datetime.timedelta(days=31)
    assert recycle.purge_expired(now=later, days=30) == 1


def test_team_names_unique_per_workspace_case_insensitive(world):
    with pytest.raises(ValidationFailedError):
        services.team_create(actor=world.owner, name="NORTH")
    services.team_create(actor=world.other_owner, name="North")  # another workspace may


def test_invite_accept_creates_account_and_membership(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite, raw = services.invite_create(
            actor=world.owner, email="New.Person@Example.com", role=world.rep.role, teams=[world.south]
        )
    assert invite.email == "new.person@example.com"
    assert raw not in invite.token_hash and len(mail.outbox) == 1 and raw in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        member = services.invite_accept(raw_token=raw, full_name="New Person", password=PASSWORD)
    assert member.user.check_password(PASSWORD)
    assert member.role == world.rep.role and list(member.teams.all()) == [world.south]
    with pytest.raises(InviteNotUsableError):
        services.invite_accept(raw_token=raw, full_name="Again", password=PASSWORD)
    dispatch_pending()
    assert EventDelivery.objects.filter(consumer="accounts.tell_inviter_about_join").count() == 1
    assert mail.outbox[-1].to == [world.owner.user.email]


def test_invite_accept_weak_password_changes_nothing(world):
    _invite, raw = services.invite_create(actor=world.owner, email="weak@example.com", role=world.rep.role)
    with pytest.raises(ValidationFailedError) as caught:
        services.invite_accept(raw_token=raw, full_name="Weak", password="123")
    assert "password" in caught.value.fields
    assert not User.objects.filter(email="weak@example.com").exists()
    assert Invite.objects.get(email="weak@example.com").status == "pending"


def test_invite_expires_and_reinvite_supersedes(world):
    invite, raw = services.invite_create(actor=world.owner, email="late@example.com", role=world.rep.role)
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(InviteNotUsableError):
        services.invite_find(raw)
    first, raw1 = services.invite_create(actor=world.owner, email="twice@example.com", role=world.rep.role)
    _second, raw2 = services.invite_create(actor=world.owner, email="twice@example.com", role=world.rep.role)
    first.refresh_from_db()
    assert first.status == "revoked"
    with pytest.raises(InviteNotUsableError):
        services.invite_find(raw1)
    assert services.invite_find(raw2)


def test_existing_member_cannot_be_invited(world):
    with pytest.raises(ConflictError):
        services.invite_create(actor=world.owner, email=world.rep.user.email.upper(), role=world.rep.role)


def test_invite_for_someone_else_refused(world):
    _invite, raw = services.invite_create(actor=world.owner, email="target@example.com", role=world.rep.role)
    with pytest.raises(PermissionDeniedError):
        services.invite_accept(raw_token=raw, user=world.rep.user)


def test_deactivated_member_rejoins_through_invite(world):
    services.member_deactivate(actor=world.owner, member=world.rep)
    _invite, raw = services.invite_create(
        actor=world.owner, email=world.rep.user.email, role=world.support.role
    )
    member = services.invite_accept(raw_token=raw, user=world.rep.user)
    assert member.pk == world.rep.pk and member.is_active and member.role == world.support.role


def test_token_is_hashed_and_authenticates(world):
    token, raw = services.token_create(actor=world.rep, name="script")
    assert raw.startswith("pvk_") and raw not in token.key_hash and token.prefix == raw[:10]
    assert services.token_authenticate(raw) == world.rep
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    assert services.token_authenticate(raw + "x") is None
    assert services.token_authenticate("garbage") is None


def test_token_stops_when_revoked_expired_or_member_deactivated(world):
    token, raw = services.token_create(actor=world.rep, name="a")
    services.token_revoke(actor=world.rep, token=token)
    assert services.token_authenticate(raw) is None
    token2, raw2 = services.token_create(
        actor=world.rep, name="b", expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    ApiToken.objects.filter(pk=token2.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert services.token_authenticate(raw2) is None
    _token3, raw3 = services.token_create(actor=world.rep, name="c")
    assert services.token_authenticate(raw3) == world.rep
    services.member_deactivate(actor=world.owner, member=world.rep)
    assert services.token_authenticate(raw3) is None
    User.objects.filter(pk=world.teammate.user_id).update(is_active=False)
    _token4, raw4 = services.token_create(actor=world.teammate, name="d")
    assert services.token_authenticate(raw4) is None


def test_token_expiry_must_be_future(world):
    with pytest.raises(ValidationFailedError):
        services.token_create(
            actor=world.rep, name="past", expires_at=timezone.now() - datetime.timedelta(days=1)
        )
    assert not ApiToken.objects.filter(name="past").exists()


def test_admin_create_is_idempotent_and_validates(db):
    member, created = services.admin_create(
        email="Boss@Example.com", password=PASSWORD, workspace_name="Shop"
    )
    assert created and member.role.key == "owner" and member.user.email == "boss@example.com"
    again, created_again = services.admin_create(
        email="boss@example.com", password=PASSWORD + "2", workspace_name="Shop"
    )
    assert not created_again and again.pk == member.pk
    assert User.objects.get(email="boss@example.com").check_password(PASSWORD + "2")
    with pytest.raises(ValidationFailedError):
        services.admin_create(email="not-an-email", password=PASSWORD, workspace_name="Shop")
    with pytest.raises(ValidationFailedError):
        services.admin_create(email="x@example.com", password="short", workspace_name="Shop")
    assert not User.objects.filter(email="x@example.com").exists()


def test_language_preference_per_member(world):
    services.member_set_language(member=world.rep, language="fa")
    assert Membership.objects.get(pk=world.rep.pk).effective_language == "fa"
    assert Membership.objects.get(pk=world.teammate.pk).effective_language == "en"
    with pytest.raises(ValidationFailedError):
        services.member_set_language(member=world.rep, language="xx")


def test_builtin_roles_gain_new_entities(world):
    spec = policy.EntitySpec(name="gadget", label="Gadgets", actions=("view", "change"))
    policy.register_entity(spec)
    try:
        assert services.roles_sync_builtin(world.workspace) == 6
        rep_role = Role.objects.get(workspace=world.workspace, key="sales_rep")
        assert rep_role.permissions["gadget"] == {"view": "all", "change": "own"}
        assert Role.objects.get(workspace=world.workspace, key="read_only").permissions["gadget"] == {
            "view": "all"
        }
        assert services.roles_sync_builtin(world.workspace) == 0
    finally:
        policy._registry.pop("gadget")


def test_user_email_is_unique_case_insensitively(db):
    UserFactory(email="same@example.com")
    with pytest.raises(ConflictError):
        services.user_create(email="SAME@example.com", password=PASSWORD)
