"""Domain events: written to the outbox in the writer's transaction, dispatched after commit by a task.

Delivery is at least once; each consumer is recorded per event (EventDelivery), so a redelivered event
is skipped by consumers that already handled it, and a consumer that failed is retried later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from peyvand.core.audit import entity_of
from peyvand.core.models import EventDelivery, OutboxEvent

log = logging.getLogger(__name__)

Handler = Callable[[OutboxEvent], None]
MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class Consumer:
    name: str
    events: frozenset[str]
    handler: Handler


_consumers: dict[str, Consumer] = {}


def consumer(*event_names: str, name: str | None = None) -> Callable[[Handler], Handler]:
    """Register `handler` for the named events (`"*"` for all). Handlers must be safe to run twice."""

    def register(handler: Handler) -> Handler:
        key = name or f"{handler.__module__}.{handler.__qualname__}"
        _consumers[key] = Consumer(key, frozenset(event_names), handler)
        return handler

    return register


def consumers_for(event_name: str) -> list[Consumer]:
    return [c for c in _consumers.values() if event_name in c.events or "*" in c.events]


def emit(
    workspace_id: int | None, name: str, record: models.Model, payload: dict[str, Any] | None = None
) -> OutboxEvent:
    """Write `name` for `record` into the outbox (inside the caller's transaction) and, once the
    transaction commits, ask a worker to dispatch it."""
    event = OutboxEvent.objects.create(
        workspace_id=workspace_id,
        name=name,
        entity=entity_of(record),
        record_id=str(record.pk),
        payload=payload or {},
    )
    connection = transaction.get_connection()
    pending = getattr(connection, "run_on_commit", [])
    if not any(entry[1] is _enqueue_dispatch for entry in pending if len(entry) > 1):
        transaction.on_commit(_enqueue_dispatch)  # one dispatch per transaction, however many events
    return event


def _enqueue_dispatch() -> None:
    from peyvand.core.tasks import dispatch_events_task

    try:
        dispatch_events_task.enqueue()
    except Exception:  # the outbox keeps the event; the worker's sweep will dispatch it
        log.exception("could not enqueue event dispatch")


def dispatch_pending(limit: int = 500) -> int:
    """Deliver undispatched events to their consumers; returns how many events were completed.

    Safe to run concurrently and repeatedly: a delivery row is inserted in the same transaction as the
    consumer's work, so a consumer's effects and its "done" mark commit together.
    """
    completed = 0
    pending = list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True, attempts__lt=MAX_ATTEMPTS).order_by("id")[
            :limit
        ]
    )
    for event in pending:
        done = set(event.deliveries.values_list("consumer", flat=True))
        failed = False
        for item in consumers_for(event.name):
            if item.name in done:
                continue
            try:
                with transaction.atomic():
                    EventDelivery.objects.create(event=event, consumer=item.name)
                    item.handler(event)
            except IntegrityError:
                continue  # another dispatcher delivered it meanwhile
            except Exception as error:  # a consumer's failure must not block the others
                failed = True
                log.exception("consumer %s failed on event %s", item.name, event.pk)
                event.last_error = f"{item.name}: {error}"[:2000]
        event.attempts += 1
        if not failed:
            event.dispatched_at = timezone.now()
            completed += 1
        event.save(update_fields=["attempts", "dispatched_at", "last_error"])
    return completed
