"""Deal rules at the service: the starting pipeline, stage moves and their history, won and lost, amounts
rounded per currency, stage lists of 3–10, and stale or concurrent edits refused with nothing lost."""

from __future__ import annotations

import decimal

import pytest
from django.utils import translation

from peyvand.accounts import services as account_services
from peyvand.core.errors import (
    ConflictError,
    PermissionDeniedError,
    PreconditionFailedError,
    ValidationFailedError,
)
from peyvand.core.models import AuditEntry, OutboxEvent
from peyvand.deals import services
from peyvand.deals.choices import DealStatus
from peyvand.deals.models import Deal, DealStageEntry, LostReason, Pipeline, Stage
from peyvand.deals.tests.factories import default_pipeline, make_deal, stages_of

pytestmark = pytest.mark.django_db


def _events(name):
    return list(OutboxEvent.objects.filter(name=name).order_by("pk"))


def test_a_workspace_starts_with_one_pipeline_of_five_stages_and_lost_reasons(world):
    services.pipeline_ensure_default(world.workspace.pk)
    services.pipeline_ensure_default(world.workspace.pk)  # idempotent
    pipeline = Pipeline.objects.get(workspace=world.workspace)
    stages = stages_of(pipeline)
    assert [s.probability for s in stages] == [10, 20, 40, 60, 80]
    assert str(pipeline) == "Sales" and stages[0].label == "Qualified"
    with translation.override("fa"):
        assert str(pipeline) != "Sales" and stages[0].label != "Qualified"  # shown in the reader's language
    assert LostReason.objects.filter(workspace=world.workspace).count() == 6
    assert not Pipeline.objects.filter(workspace=world.other_workspace).exists()


def test_create_defaults_to_the_first_stage_the_workspace_currency_and_the_actor(world):
    deal = make_deal(world.rep, amount="1500.555")
    pipeline = default_pipeline(world.rep)
    assert (deal.pipeline, deal.stage, deal.status) == (pipeline, stages_of(pipeline)[0], DealStatus.OPEN)
    assert deal.currency == world.workspace.default_currency == "USD"
    assert deal.amount == decimal.Decimal("1500.56") and deal.owner == world.rep
    entry = DealStageEntry.objects.get(deal=deal)
    assert entry.stage == deal.stage and entry.left_at is None and entry.actor == world.rep
    assert AuditEntry.objects.filter(entity="deal", record_id=str(deal.pk), action="create").exists()
    assert _events("deal.created")[0].payload["stage"] == deal.stage_id


@pytest.mark.parametrize(
    ("currency", "typed", "stored"),
    [
        ("IRR", "1250000.6", "1250001"),
        ("USD", "0.005", "0.01"),
        ("KWD", "1.2345", "1.235"),
        ("THB", "1,000", "1000"),
    ],
)
def test_amounts_are_rounded_to_the_currencys_minor_unit(world, currency, typed, stored):
    assert make_deal(world.owner, amount=typed, currency=currency).amount == decimal.Decimal(stored)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": " "}, "title"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"currency": "XYZ"}, "currency"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(world, data, field):
    with pytest.raises(ValidationFailedError) as error:
        services.deal_create(actor=world.owner, data={"title": "A deal", **data})
    assert field in error.value.fields
    assert not Deal.all_objects.exists() and not DealStageEntry.objects.exists()


def test_a_stage_of_another_pipeline_is_refused(world):
    other = services.pipeline_create(
        actor=world.owner,
        name="Renewals",
        stages=[
            {"name": "Due", "probability": 50},
            {"name": "Offered", "probability": 70},
            {"name": "Signed", "probability": 90},
        ],
    )
    with pytest.raises(ValidationFailedError) as error:
        make_deal(world.owner, pipeline=default_pipeline(world.owner), stage=stages_of(other)[1])
    assert "stage_id" in error.value.fields
    assert (
        make_deal(world.owner, stage=stages_of(other)[1]).pipeline == other
    )  # a stage alone picks its pipeline
    deal = make_deal(world.owner)
    with pytest.raises(ValidationFailedError):
        services.deal_move_to_stage(actor=world.owner, deal=deal, stage=stages_of(other)[0])
    deal.refresh_from_db()
    assert deal.stage == stages_of(deal.pipeline)[0]


def test_moving_records_each_stay_and_is_a_no_op_to_the_same_stage(world):
    deal = make_deal(world.rep)
    stages = stages_of(deal.pipeline)
    services.deal_move_to_stage(actor=world.rep, deal=deal, stage=stages[2])
    services.deal_move_to_stage(actor=world.rep, deal=deal, stage=stages[2])
    services.deal_move_to_stage(actor=world.rep, deal=deal, stage=stages[3])
    entries = list(DealStageEntry.objects.filter(deal=deal))
    assert [e.stage for e in entries] == [stages[0], stages[2], stages[3]]
    assert all(e.left_at for e in entries[:2]) and entries[2].left_at is None
    assert entries[1].entered_at == entries[0].left_at
    changed = _events("deal.stage_changed")
    assert [(e.payload["from"], e.payload["to"]) for e in changed] == [
        (stages[0].pk, stages[2].pk),
        (stages[2].pk, stages[3].pk),
    ]
    assert deal.version == 3


def test_two_people_moving_the_same_deal_one_wins_the_other_gets_a_conflict(world):
    deal = make_deal(world.owner)
    stages = stages_of(deal.pipeline)
    mine, theirs = Deal.objects.get(pk=deal.pk), Deal.objects.get(pk=deal.pk)
    services.deal_move_to_stage(actor=world.owner, deal=mine, stage=stages[1])
    with pytest.raises(ConflictError):
        services.deal_move_to_stage(actor=world.admin, deal=theirs, stage=stages[2])
    with pytest.raises(PreconditionFailedError):
        services.deal_move_to_stage(
            actor=world.admin,
            deal=Deal.objects.get(pk=deal.pk),
            stage=stages[2],
            expected_version=1,
            precondition=True,
        )
    deal.refresh_from_db()
    assert deal.stage == stages[1]
    assert DealStageEntry.objects.filter(deal=deal).count() == 2


def test_won_and_lost_close_the_stay_lost_needs_a_reason_and_reopen_starts_a_new_one(world):
    deal = make_deal(world.owner, amount="100")
    services.deal_win(actor=world.owner, deal=deal)
    assert deal.status == DealStatus.WON and deal.closed_at
    assert DealStageEntry.objects.get(deal=deal).left_at == deal.closed_at
    assert _events("deal.won")[0].payload["amount"] == "100.00"
    with pytest.raises(ConflictError):
        services.deal_move_to_stage(actor=world.owner, deal=deal, stage=stages_of(deal.pipeline)[1])
    services.deal_reopen(actor=world.owner, deal=deal)
    assert deal.status == DealStatus.OPEN and deal.closed_at is None
    with pytest.raises(ValidationFailedError) as error:
        services.deal_lose(actor=world.owner, deal=deal, reason=None)
    assert "lost_reason_id" in error.value.fields
    reason = LostReason.objects.filter(workspace=world.workspace).first()
    services.deal_lose(actor=world.owner, deal=deal, reason=reason, note="Went with a cheaper offer")
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason, deal.lost_note) == (
        DealStatus.LOST,
        reason,
        "Went with a cheaper offer",
    )
    assert DealStageEntry.objects.filter(deal=deal, left_at__isnull=True).count() == 0
    assert DealStageEntry.objects.filter(deal=deal).count() == 2
    assert _events("deal.lost")[0].payload["lost_reason"] == reason.pk


def test_a_reason_of_another_workspace_is_refused(world):
    services.pipeline_ensure_default(world.other_workspace.pk)
    foreign = LostReason.objects.filter(workspace=world.other_workspace).first()
    deal = make_deal(world.owner)
    with pytest.raises(ValidationFailedError):
        services.deal_lose(actor=world.owner, deal=deal, reason=foreign)
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN


def test_a_pipeline_has_three_to_ten_named_stages_with_probabilities_0_to_100(world):
    good = [{"name": f"S{n}", "probability": n * 10} for n in range(3)]
    for stages in (
        good[:2],
        good * 4,
        [*good[:2], {"name": "", "probability": 5}],
        [*good[:2], {"name": "X", "probability": 101}],
    ):
        with pytest.raises(ValidationFailedError) as error:
            services.pipeline_create(actor=world.owner, name="Partners", stages=stages)
        assert "stages" in error.value.fields
    assert not Pipeline.objects.filter(name="Partners").exists()
    pipeline = services.pipeline_create(actor=world.manager, name="Partners", stages=good, rotting_days=14)
    assert [s.name for s in stages_of(pipeline)] == ["S0", "S1", "S2"] and pipeline.rotting_days == 14


def test_only_members_the_role_lets_change_pipelines_may(world):
    services.pipeline_ensure_default(world.workspace.pk)
    pipeline = Pipeline.objects.get(workspace=world.workspace)
    for member in (world.rep, world.support, world.read_only):
        with pytest.raises(PermissionDeniedError):
            services.pipeline_update(actor=member, pipeline=pipeline, changes={"name": "Mine"})
    services.pipeline_update(actor=world.manager, pipeline=pipeline, changes={"name": "Direct sales"})
    assert Pipeline.objects.get(pk=pipeline.pk).label == "Direct sales"


def test_setting_the_stage_list_renames_moves_adds_and_removes_but_keeps_used_stages(world):
    pipeline = default_pipeline(world.owner)
    stages = stages_of(pipeline)
    deal = make_deal(world.owner, stage=stages[1])
    new_list = [
        {"id": stages[1].pk, "name": "Talking", "probability": 25},
        {"id": stages[0].pk, "name": stages[0].label, "probability": 10},
        {"name": "Signed", "probability": 95},
    ]
    result = services.pipeline_set_stages(actor=world.owner, pipeline=pipeline, stages=new_list)
    assert [s.label for s in result] == ["Talking", "Qualified", "Signed"]
    assert (
        Stage.objects.get(pk=stages[0].pk).name == ""
    )  # still the built-in, shown in each reader's language
    assert not Stage.objects.filter(pk__in=[s.pk for s in stages[2:]]).exists()
    deal.refresh_from_db()
    assert deal.stage.label == "Talking"
    with pytest.raises(ConflictError):
        services.pipeline_set_stages(
            actor=world.owner,
            pipeline=pipeline,
            stages=[{"id": stages[0].pk, "name": "A", "probability": 1}, {"name": "B"}, {"name": "C"}],
        )
    assert Stage.objects.filter(pk=stages[1].pk).exists()
    with pytest.raises(PreconditionFailedError):
        services.pipeline_set_stages(
            actor=world.owner, pipeline=pipeline, stages=new_list, expected_version=1, precondition=True
        )


def test_field_rules_and_scopes_apply_to_moves_and_outcomes(world):
    role = world.rep.role
    account_services.role_update(
        actor=world.owner, role=role, changes={"field_rules": {"deal": {"stage": "read_only"}}}
    )
    world.rep.refresh_from_db()
    deal = make_deal(world.owner, owner=world.rep)
    with pytest.raises(PermissionDeniedError):
        services.deal_move_to_stage(actor=world.rep, deal=deal, stage=stages_of(deal.pipeline)[1])
    with pytest.raises(PermissionDeniedError):
        services.deal_win(actor=world.rep, deal=deal)
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN and deal.version == 1


def test_a_rep_may_not_give_a_new_deal_to_someone_else(world):
    with pytest.raises(PermissionDeniedError):
        make_deal(world.rep, owner=world.teammate)
    assert make_deal(world.manager, owner=world.rep).owner == world.rep


def test_huge_or_odd_amounts_are_field_errors_not_crashes(world):
    for typed in ("1e30", "1e15", "Infinity", "-0.001", "1,2,3x"):
        with pytest.raises(ValidationFailedError) as error:
            services.round_amount(typed, "USD")
        assert "amount" in error.value.fields, typed
    assert str(services.round_amount("-0", "USD")) == "0.00"
    assert services.round_amount("999999999999999.994", "USD") == decimal.Decimal("999999999999999.99")


def test_the_first_lost_reason_a_workspace_adds_comes_after_the_built_in_ones(world):
    added = services.lost_reason_save(actor=world.owner, reason=None, name="Merged")
    reasons = list(LostReason.objects.filter(workspace=world.workspace))
    assert len(reasons) == 7 and reasons[-1] == added
