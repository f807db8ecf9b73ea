"""Background tasks of the core: adapters that call services; each is safe to run twice."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from peyvand.core import events, recycle
from peyvand.core.idempotency import KEEP
from peyvand.core.models import IdempotencyRecord, RateCounter

HOUSEKEEPING_EVERY = datetime.timedelta(hours=1)
HOUSEKEEPING_PATH = "peyvand.core.tasks.housekeeping_task"


@task()
def dispatch_events_task() -> int:
    return events.dispatch_pending()


def housekeeping() -> dict[str, int]:
    """Purge recycle-bin rows past retention, expired idempotency records, stale throttle counters and old
    finished task results. Safe to run at any time, any number of times."""
    now = timezone.now()
    purged = recycle.purge_expired(now=now, days=settings.PEYVAND_RECYCLE_RETENTION_DAYS)
    idempotency, _ = IdempotencyRecord.objects.filter(created_at__lt=now - KEEP).delete()
    counters, _ = RateCounter.objects.filter(window_started_at__lt=now - datetime.timedelta(days=1)).delete()
    results = 0
    if "django_tasks_db" in settings.INSTALLED_APPS:
        from django_tasks_db.models import DBTaskResult

        results, _ = (
            DBTaskResult.objects.finished().filter(finished_at__lt=now - datetime.timedelta(days=7)).delete()
        )
    return {"purged": purged, "idempotency": idempotency, "counters": counters, "task_results": results}


def housekeeping_scheduled() -> bool:
    """Whether a housekeeping run is already waiting in the database queue (so restarts do not pile up)."""
    if "django_tasks_db" not in settings.INSTALLED_APPS:
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=HOUSEKEEPING_PATH, status="READY").exists()


def schedule_housekeeping(delay: datetime.timedelta = datetime.timedelta(0)) -> None:
    """Queue the next housekeeping run unless one is waiting (backends that cannot defer: nothing)."""
    if not housekeeping_task.get_backend().supports_defer:
        return
    if not housekeeping_scheduled():
        housekeeping_task.using(run_after=timezone.now() + delay).enqueue()


@task()
def housekeeping_task() -> dict[str, int]:
    """Runs hourly: does the work, then queues the next run (once)."""
    result = housekeeping()
    schedule_housekeeping(HOUSEKEEPING_EVERY)
    return result
