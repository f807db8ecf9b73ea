"""Database-backed throttling, shared by every web process (a per-process cache would be bypassed by
spreading attempts over workers)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from peyvand.core.models import RateCounter


def blocked_until(key: str) -> datetime.datetime | None:
    """When `key` may try again, if it is blocked now."""
    until = RateCounter.objects.filter(key=key).values_list("blocked_until", flat=True).first()
    return until if until and until > timezone.now() else None


@transaction.atomic
def record_hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit; once `limit` hits fall in the window, block the key for the window.
    Returns True when the key is (now) blocked."""
    now = timezone.now()
    counter, _created = RateCounter.objects.get_or_create(key=key)
    if now - counter.window_started_at > datetime.timedelta(seconds=window_seconds):
        RateCounter.objects.filter(pk=counter.pk).update(hits=1, window_started_at=now, blocked_until=None)
        return limit <= 1
    RateCounter.objects.filter(pk=counter.pk).update(hits=F("hits") + 1)
    counter.refresh_from_db(fields=["hits"])
    if counter.hits >= limit:
        RateCounter.objects.filter(pk=counter.pk).update(
            blocked_until=now + datetime.timedelta(seconds=window_seconds)
        )
        return True
    return False


def reset(key: str) -> None:
    RateCounter.objects.filter(key=key).delete()
