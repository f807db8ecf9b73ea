"""Who sees and changes deals and pipelines: scopes from the role, 404 outside them, 403 inside."""

from __future__ import annotations

import pytest

from peyvand.accounts.policy import Action
from peyvand.core.errors import NotFoundError, PermissionDeniedError
from peyvand.deals import access
from peyvand.deals.tests.factories import default_pipeline, make_deal, stages_of

pytestmark = pytest.mark.django_db


def test_every_builtin_role_has_deal_grants_and_only_managers_and_admins_edit_pipelines(world):
    assert world.rep.scope_for("deal", Action.VIEW) == "all"
    assert world.rep.scope_for("deal", Action.CHANGE) == "own"
    assert world.read_only.scope_for("deal", Action.CREATE) == "none"
    assert [m.may(Action.CHANGE, entity="pipeline") for m in (world.owner, world.admin, world.manager)] == [
        True
    ] * 3
    assert [m.may(Action.CHANGE, entity="pipeline") for m in (world.rep, world.support, world.read_only)] == [
        False
    ] * 3


def test_deals_answer_404_outside_the_workspace_and_403_to_who_may_not_change_them(world):
    deal = make_deal(world.rep)
    assert access.access_deal(member=world.teammate, deal_id=deal.pk) == deal
    with pytest.raises(PermissionDeniedError):
        access.access_deal(member=world.teammate, deal_id=deal.pk, action=Action.CHANGE)
    assert access.access_deal(member=world.manager, deal_id=deal.pk, action=Action.CHANGE) == deal
    with pytest.raises(PermissionDeniedError):
        access.access_deal(member=world.outsider_rep, deal_id=deal.pk, action=Action.CHANGE)
    with pytest.raises(NotFoundError):
        access.access_deal(member=world.other_owner, deal_id=deal.pk)
    with pytest.raises(PermissionDeniedError):
        access.access_deal(member=world.read_only, deal_id=deal.pk, action=Action.DELETE)


def test_own_scope_hides_other_deals(world):
    role = world.support.role
    role.permissions = {**role.permissions, "deal": {"view": "own"}}
    role.save(update_fields=["permissions"])
    world.support.refresh_from_db()
    theirs = make_deal(world.rep)
    with pytest.raises(NotFoundError):
        access.access_deal(member=world.support, deal_id=theirs.pk)
    assert not access.deals_visible_to(world.support).exists()


def test_stages_and_pipelines_of_another_workspace_are_not_found(world):
    mine = default_pipeline(world.owner)
    theirs = default_pipeline(world.other_owner)
    assert access.access_stage(member=world.rep, stage_id=stages_of(mine)[0].pk).pipeline == mine
    with pytest.raises(NotFoundError):
        access.access_stage(member=world.rep, stage_id=stages_of(theirs)[0].pk)
    with pytest.raises(NotFoundError):
        access.access_pipeline(member=world.rep, pipeline_id=theirs.pk)
    with pytest.raises(PermissionDeniedError):
        access.access_pipeline(member=world.rep, pipeline_id=mine.pk, action=Action.CHANGE)
