"""Races between two requests, with two real connections (PostgreSQL: SQLite writes one transaction at a
time, so these interleavings cannot happen there)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from peyvand.accounts.models import Membership
from peyvand.accounts.tests.factories import make_workspace
from peyvand.core.errors import ConflictError
from peyvand.deals import services
from peyvand.deals.models import Deal, LostReason, Pipeline, Stage
from peyvand.deals.tests.factories import default_pipeline, make_deal, stages_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers: these races need PostgreSQL")


def _first_holds_while_second_runs(
    first: Callable[[], None], second: Callable[[], None]
) -> dict[str, object]:
    """Run `first` in a transaction kept open until `second` (on another connection) has had time to block on
    it; return what each raised ("ok" when nothing)."""
    inside, release, result = threading.Event(), threading.Event(), {}

    def run_first() -> None:
        try:
            with transaction.atomic():
                first()
                inside.set()
                release.wait(10)
            result["first"] = "ok"
        except Exception as error:
            result["first"] = error
        finally:
            inside.set()
            connection.close()

    def run_second() -> None:
        try:
            second()
            result["second"] = "ok"
        except Exception as error:
            result["second"] = error
        finally:
            connection.close()

    one = threading.Thread(target=run_first)
    one.start()
    inside.wait(10)
    two = threading.Thread(target=run_second)
    two.start()
    two.join(1.5)  # the second blocks on the first's locks (or is done)
    release.set()
    one.join(10)
    two.join(10)
    return result


def _owner(pk: int) -> Membership:
    return Membership.objects.select_related("workspace", "role", "user").get(pk=pk)


def test_two_first_uses_make_one_starting_pipeline():
    workspace, _owner_member = make_workspace("Race")
    result = _first_holds_while_second_runs(
        lambda: services.pipeline_ensure_default(workspace.pk),
        lambda: services.pipeline_ensure_default(workspace.pk),
    )
    assert result == {"first": "ok", "second": "ok"}
    assert Pipeline.all_objects.filter(workspace=workspace).count() == 1
    assert Stage.objects.filter(workspace=workspace).count() == 5
    assert LostReason.objects.filter(workspace=workspace).count() == 6


def test_removing_a_stage_while_a_deal_moves_into_it_refuses_the_removal():
    _workspace, owner = make_workspace("Race")
    pipeline = default_pipeline(owner)
    stages = stages_of(pipeline)
    deal = make_deal(owner)
    keep_four = [{"id": s.pk, "name": s.label, "probability": s.probability} for s in stages[:4]]
    result = _first_holds_while_second_runs(
        lambda: services.deal_move_to_stage(
            actor=_owner(owner.pk),
            deal=Deal.objects.get(pk=deal.pk),
            stage=Stage.objects.get(pk=stages[4].pk),
        ),
        lambda: services.pipeline_set_stages(
            actor=_owner(owner.pk), pipeline=Pipeline.objects.get(pk=pipeline.pk), stages=keep_four
        ),
    )
    assert result["first"] == "ok"
    assert isinstance(result["second"], ConflictError)
    assert Deal.objects.get(pk=deal.pk).stage_id == stages[4].pk
    assert Stage.objects.filter(pk=stages[4].pk).exists()


def test_a_deal_moving_into_a_stage_being_removed_is_told_it_is_gone():
    _workspace, owner = make_workspace("Race")
    pipeline = default_pipeline(owner)
    stages = stages_of(pipeline)
    deal = make_deal(owner)
    keep_four = [{"id": s.pk, "name": s.label, "probability": s.probability} for s in stages[:4]]
    result = _first_holds_while_second_runs(
        lambda: services.pipeline_set_stages(
            actor=_owner(owner.pk), pipeline=Pipeline.objects.get(pk=pipeline.pk), stages=keep_four
        ),
        lambda: services.deal_move_to_stage(
            actor=_owner(owner.pk),
            deal=Deal.objects.get(pk=deal.pk),
            stage=Stage.objects.get(pk=stages[4].pk),
        ),
    )
    assert result["first"] == "ok"
    assert "stage_id" in getattr(result["second"], "fields", {})
    assert Deal.objects.get(pk=deal.pk).stage_id == stages[0].pk
