"""Background tasks of the core: adapters that call services; each is safe to run twice."""

from __future__ import annotations

from django_tasks import task

from peyvand.core import events


@task()
def dispatch_events_task() -> int:
    return events.dispatch_pending()
