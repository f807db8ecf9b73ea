"""Fast multi-row inserts: the rows bulk_create would write, keys in order, converted values, conflicts."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from peyvand.core import bulk
from peyvand.core.models import AuditEntry, Tag


def test_insert_objects_sets_keys_in_row_order_across_statements(world, monkeypatch):
    monkeypatch.setattr(bulk, "_MAX_ROWS", 3)  # 10 rows → four statements
    now = timezone.now()
    tags = [
        Tag(workspace_id=world.workspace.pk, name=f"T{n}", name_normalized=f"t{n}", created_at=now)
        for n in range(10)
    ]
    bulk.insert_objects(Tag, tags)
    assert all(t.pk for t in tags) and len({t.pk for t in tags}) == 10
    stored = dict(Tag.objects.filter(pk__in=[t.pk for t in tags]).values_list("pk", "name"))
    assert {t.pk: t.name for t in tags} == stored
    assert not tags[0]._state.adding


def test_insert_rows_converts_dates_and_json_like_the_orm(world):
    when = datetime.datetime(2026, 3, 20, 12, 30, tzinfo=datetime.UTC)
    changes = {"name": [None, "علی"], "tags": [None, ["VIP", "ลูกค้า"]], "n": [1, 2.5]}
    (key,) = bulk.insert_rows(
        AuditEntry,
        ["workspace", "actor", "actor_label", "action", "entity", "record_id", "changes", "created_at"],
        [(world.workspace.pk, world.owner.pk, "o", AuditEntry.Action.CREATE, "tag", "7", changes, when)],
        returning=True,
    )
    entry = AuditEntry.objects.get(pk=key)
    assert entry.changes == changes
    assert entry.created_at == when
    assert entry.actor_id == world.owner.pk


def test_insert_rows_ignores_conflicts_only_when_asked(world):
    now = timezone.now()
    row = (world.workspace.pk, "Dup", "dup", "#000000", now, now, 1)
    columns = ["workspace", "name", "name_normalized", "color", "created_at", "updated_at", "version"]
    bulk.insert_rows(Tag, columns, [row])
    assert bulk.insert_rows(Tag, columns, [row, row], ignore_conflicts=True) == []
    assert Tag.objects.filter(workspace=world.workspace, name_normalized="dup").count() == 1
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_rows(Tag, columns, [row])


def test_insert_rows_with_nothing_writes_nothing(world):
    assert bulk.insert_rows(Tag, ["workspace", "name"], [], returning=True) == []
    bulk.insert_objects(Tag, [])


def test_insert_rows_converts_each_rows_own_values(world):
    """Repeated values (one timestamp object, empty JSON) are converted once; the others row by row."""
    first = datetime.datetime(2026, 3, 20, 12, 30, tzinfo=datetime.UTC)
    second = first + datetime.timedelta(days=1)
    values = [({}, first), ({}, first), ([], first), ({"a": 1}, second), ({}, second), ({"a": 2}, second)]
    values += [(0, first), (False, first), (0.0, first), ("", first), ([], second)]
    keys = bulk.insert_rows(
        AuditEntry,
        ["workspace", "actor_label", "action", "entity", "record_id", "changes", "created_at"],
        [(world.workspace.pk, "o", AuditEntry.Action.CREATE, "tag", "1", c, w) for c, w in values],
        returning=True,
    )
    stored = dict(AuditEntry.objects.filter(pk__in=keys).values_list("pk", "changes"))
    assert [stored[k] for k in keys] == [c for c, _when in values]
    assert [type(stored[k]) for k in keys] == [type(c) for c, _when in values]
    when = dict(AuditEntry.objects.filter(pk__in=keys).values_list("pk", "created_at"))
    assert [when[k] for k in keys] == [w for _c, w in values]
