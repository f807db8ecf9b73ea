"""The permission rules: scopes own/team/all, deny by default, field rules, redaction."""

from __future__ import annotations

import pytest

from peyvand.accounts import access, policy, services
from peyvand.accounts.models import ApiToken, Membership
from peyvand.accounts.policy import Action
from peyvand.core.errors import NotFoundError, PermissionDeniedError


def reload(member: Membership) -> Membership:
    return Membership.objects.select_related("role", "workspace", "user").get(pk=member.pk)


def test_deny_by_default(world):
    role = services.role_create(actor=world.owner, name="Nothing")
    services.member_update(actor=world.owner, member=world.read_only, role=role)
    member = reload(world.read_only)
    for spec in policy.entities():
        for action in spec.actions:
            assert not member.may(action, entity=spec.name)
    assert access.members_visible_to(member).count() == 0
    with pytest.raises(NotFoundError):
        access.access_member(member=member, member_id=world.owner.pk)


@pytest.mark.parametrize(
    ("scope", "visible"),
    [
        ("own", {"rep"}),
        ("team", {"rep", "teammate", "manager"}),
        ("all", {"owner", "admin", "manager", "rep", "teammate", "outsider_rep", "support", "read_only"}),
        ("none", set()),
    ],
)
def test_member_view_scopes(world, scope, visible):
    role = services.role_create(
        actor=world.owner,
        name=f"Scope {scope}",
        permissions={"member": {"view": scope}} if scope != "none" else {},
    )
    services.member_update(actor=world.owner, member=world.rep, role=role)
    rep = reload(world.rep)
    names = {
        name
        for name in ("owner", "admin", "manager", "rep", "teammate", "outsider_rep", "support", "read_only")
        if getattr(world, name).pk in set(access.members_visible_to(rep).values_list("pk", flat=True))
    }
    assert names == visible


def test_own_tokens_only(world):
    mine, _raw = services.token_create(actor=world.rep, name="mine")
    theirs, _raw2 = services.token_create(actor=world.teammate, name="theirs")
    assert list(access.tokens_visible_to(world.rep)) == [mine]
    with pytest.raises(NotFoundError):
        access.access_token(member=world.rep, token_id=theirs.pk, action=Action.DELETE)
    assert set(access.tokens_visible_to(world.admin)) == {mine, theirs}
    assert ApiToken.objects.count() == 2


def test_view_but_not_change_is_403(world):
    with pytest.raises(PermissionDeniedError):
        access.access_team(member=world.read_only, team_id=world.north.pk, action=Action.CHANGE)
    assert access.access_team(member=world.read_only, team_id=world.north.pk) == world.north


def test_manager_changes_only_own_teams(world):
    assert world.manager.may(Action.CHANGE, world.north)
    assert not world.manager.may(Action.CHANGE, world.south)


def test_other_workspace_is_invisible(world):
    with pytest.raises(NotFoundError):
        access.access_member(member=world.owner, member_id=world.other_owner.pk)
    assert not world.owner.may(Action.VIEW, world.other_owner)


def test_hidden_fields_are_redacted(world):
    role = services.role_create(
        actor=world.owner,
        name="Private",
        permissions={"member": {"view": "all"}},
        field_rules={"member": {"email": "hidden"}},
    )
    services.member_update(actor=world.owner, member=world.rep, role=role)
    rep = reload(world.rep)
    assert policy.redact(rep, "member", {"email": "x", "role": "y"}) == {"role": "y"}
    assert policy.read_only_fields(rep, "member") == {"email"}
    assert policy.redact(world.owner, "member", {"email": "x"}) == {"email": "x"}


def test_inactive_member_may_nothing(world):
    services.member_deactivate(actor=world.owner, member=world.admin)
    admin = reload(world.admin)
    assert not admin.may(Action.VIEW, entity="member")
