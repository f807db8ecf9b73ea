"""The shared write/read mechanics: outbox dispatch, keyset pages, versions, throttling, audit snapshots."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from peyvand.accounts import services
from peyvand.accounts.models import Team
from peyvand.core import events, throttle
from peyvand.core.audit import snapshot
from peyvand.core.errors import ConflictError, ValidationFailedError
from peyvand.core.models import AuditEntry, EventDelivery, OutboxEvent
from peyvand.core.pagination import keyset_page
from peyvand.core.versioning import save_versioned


@pytest.fixture
def recorder():
    """A consumer registered for the test only; records what it saw and can be told to fail."""
    seen: list[int] = []
    state = {"fail": False}

    def handler(event):
        if state["fail"]:
            raise RuntimeError("boom")
        seen.append(event.pk)

    events.consumer("team.created", name="test.recorder")(handler)
    yield seen, state
    events._consumers.pop("test.recorder")


def test_event_written_in_same_transaction_and_rolled_back_with_it(world):
    before = OutboxEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.team_create(actor=world.owner, name="Ghost")
        raise RuntimeError("abort")
    assert OutboxEvent.objects.count() == before
    assert not Team.objects.filter(name="Ghost").exists()


def test_dispatch_delivers_once_and_is_idempotent(world, recorder):
    seen, _state = recorder
    team = services.team_create(actor=world.owner, name="East")
    event = OutboxEvent.objects.get(name="team.created", record_id=str(team.pk))
    events.dispatch_pending()
    events.dispatch_pending()
    assert seen.count(event.pk) == 1
    event.refresh_from_db()
    assert event.dispatched_at is not None
    # A redelivery (e.g. after a crash before dispatched_at was saved) does not run the consumer again.
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None)
    events.dispatch_pending()
    assert seen.count(event.pk) == 1


def test_failing_consumer_is_retried_later(world, recorder):
    seen, state = recorder
    state["fail"] = True
    team = services.team_create(actor=world.owner, name="West")
    event = OutboxEvent.objects.get(name="team.created", record_id=str(team.pk))
    events.dispatch_pending()
    event.refresh_from_db()
    assert event.dispatched_at is None and event.attempts == 1 and "boom" in event.last_error
    assert not EventDelivery.objects.filter(event=event, consumer="test.recorder").exists()
    state["fail"] = False
    events.dispatch_pending()
    event.refresh_from_db()
    assert event.dispatched_at is not None and seen.count(event.pk) == 1


def test_dispatch_task_enqueued_once_per_transaction(world):
    with transaction.atomic():
        services.team_create(actor=world.owner, name="A1")
        services.team_create(actor=world.owner, name="A2")
    pending = transaction.get_connection().run_on_commit
    assert len([entry for entry in pending if entry[1] is events._enqueue_dispatch]) == 1


def test_keyset_pages_cover_everything_once(world):
    for i in range(23):
        services.team_create(actor=world.owner, name=f"T{i:02d}")
    seen: list[int] = []
    cursor = None
    while True:
        page = keyset_page(
            Team.objects.filter(workspace=world.workspace), ordering="-created_at", limit=5, cursor=cursor
        )
        seen += [t.pk for t in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == Team.objects.filter(workspace=world.workspace).count()


def test_keyset_ties_broken_by_id(world):
    same = timezone.now()
    for i in range(7):
        team = services.team_create(actor=world.owner, name=f"Tie{i}")
        Team.objects.filter(pk=team.pk).update(created_at=same)
    qs = Team.objects.filter(workspace=world.workspace, name__startswith="Tie")
    first = keyset_page(qs, ordering="created_at", limit=3)
    second = keyset_page(qs, ordering="created_at", limit=3, cursor=first.next_cursor)
    third = keyset_page(qs, ordering="created_at", limit=3, cursor=second.next_cursor)
    ids = [t.pk for page in (first, second, third) for t in page.items]
    assert ids == sorted(qs.values_list("pk", flat=True)) and third.next_cursor is None


@pytest.mark.parametrize("cursor", ["!!!", "bm90IGpzb24", "WzEsMiwzXQ", "WyJ4IiwgMV0"])
def test_bad_cursor_is_a_validation_error(world, cursor):
    with pytest.raises(ValidationFailedError):
        keyset_page(Team.objects.all(), ordering="-created_at", cursor=cursor)


@pytest.mark.parametrize("limit", [0, -1, 201])
def test_limit_bounds(world, limit):
    with pytest.raises(ValidationFailedError):
        keyset_page(Team.objects.all(), limit=limit)


def test_concurrent_editor_loses_cleanly(world):
    mine = Team.objects.get(pk=world.north.pk)
    theirs = Team.objects.get(pk=world.north.pk)
    theirs.name = "Theirs"
    save_versioned(theirs, update_fields=["name"])
    mine.name = "Mine"
    with pytest.raises(ConflictError):
        save_versioned(mine, update_fields=["name"])
    assert Team.objects.get(pk=world.north.pk).name == "Theirs"


def test_snapshot_is_json_safe(world):
    data = snapshot(world.workspace)
    assert data["name"] == "Acme" and "version" not in data and isinstance(data["time_zone"], str)


def test_throttle_blocks_after_limit_then_window_passes(db):
    for _ in range(2):
        assert not throttle.record_hit("k", limit=3, window_seconds=60)
    assert throttle.record_hit("k", limit=3, window_seconds=60)
    assert throttle.blocked_until("k") is not None
    from peyvand.core.models import RateCounter

    RateCounter.objects.filter(key="k").update(
        window_started_at=timezone.now() - datetime.timedelta(seconds=61),
        blocked_until=timezone.now() - datetime.timedelta(seconds=1),
    )
    assert throttle.blocked_until("k") is None
    assert not throttle.record_hit("k", limit=3, window_seconds=60)
    throttle.reset("k")
    assert throttle.blocked_until("k") is None


def test_audit_records_channel_from_context(world):
    from peyvand.core.context import Channel, acting_through

    with acting_through(Channel.IMPORT):
        team = services.team_create(actor=world.owner, name="Imported")
    assert AuditEntry.objects.get(entity="team", record_id=str(team.pk)).channel == "import"


def test_housekeeping_purges_what_is_old(world):
    from peyvand.core.models import IdempotencyRecord, RateCounter
    from peyvand.core.tasks import housekeeping, schedule_housekeeping

    recycle_team = world.south
    from peyvand.core import recycle

    recycle.soft_delete(actor=world.owner, record=recycle_team)
    Team.all_objects.filter(pk=recycle_team.pk).update(
        deleted_at=timezone.now() - datetime.timedelta(days=40)
    )
    IdempotencyRecord.objects.create(
        credential="c",
        key="k",
        method="POST",
        path="/api/v1/teams",
        request_hash="h",
        created_at=timezone.now() - datetime.timedelta(days=2),
    )
    RateCounter.objects.create(key="old", window_started_at=timezone.now() - datetime.timedelta(days=2))
    RateCounter.objects.create(key="fresh")
    result = housekeeping()
    assert result["purged"] == 1 and result["idempotency"] == 1 and result["counters"] == 1
    assert not Team.all_objects.filter(pk=recycle_team.pk).exists()
    assert RateCounter.objects.filter(key="fresh").exists()
    assert housekeeping() == {"purged": 0, "idempotency": 0, "counters": 0, "task_results": 0}
    schedule_housekeeping()  # the immediate test backend cannot defer: a no-op, not a recursion


def test_expired_idempotency_key_is_not_replayed(world, api_client_for):
    from peyvand.core.models import IdempotencyRecord

    client = api_client_for(world.owner)
    first = client.post(
        "/api/v1/teams", {"name": "Once"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == 201
    IdempotencyRecord.objects.filter(key="k-1").update(created_at=timezone.now() - datetime.timedelta(days=2))
    again = client.post(
        "/api/v1/teams", {"name": "Twice"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert again.status_code == 201 and again.json()["name"] == "Twice"
    assert IdempotencyRecord.objects.filter(key="k-1").count() == 1
