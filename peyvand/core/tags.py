"""Tags: one coloured list per workspace, put on records of any registered entity.

Each tagged entity registers its through table (record ↔ tag) with :func:`register_tagged`, so renaming,
merging and deleting a tag reach every entity without this module knowing them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from peyvand.core.audit import audit, audit_create
from peyvand.core.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from peyvand.core.events import emit
from peyvand.core.models import AuditEntry, Tag
from peyvand.core.text import normalize
from peyvand.core.writes import full_clean, record_update

if TYPE_CHECKING:
    from peyvand.accounts.models import Membership

PALETTE = ("#0d6efd", "#6610f2", "#d63384", "#dc3545", "#fd7e14", "#198754", "#20c997", "#0dcaf0", "#6c757d")
_COLOR_RE = re.compile(r"^#[0-9a-f]{6}$")


@dataclass(frozen=True)
class Tagged:
    entity: str
    through: type[models.Model]  # rows (record, tag)
    record_field: str  # the through table's foreign key to the record, e.g. "contact"


_tagged: dict[str, Tagged] = {}


def register_tagged(entry: Tagged) -> None:
    _tagged[entry.entity] = entry


def tagged_entity(entity: str) -> Tagged:
    return _tagged[entity]


# ----------------------------------------------------------------------------- access


def tags_visible_to(member: Membership) -> models.QuerySet[Tag]:
    """Tags are workspace-wide: every member whose role may view tags sees all of them."""
    if not member.may("view", entity="tag"):
        return Tag.objects.none()
    return Tag.objects.filter(workspace_id=member.workspace_id)


def access_tag(*, member: Membership, tag_id: int, action: str = "view") -> Tag:
    tag = tags_visible_to(member).filter(pk=tag_id).first()
    if tag is None:
        raise NotFoundError(_("Tag not found."))
    if action != "view" and not member.may(action, tag):
        raise PermissionDeniedError()
    return tag


# ----------------------------------------------------------------------------- services


def _clean_name(name: str) -> tuple[str, str]:
    text = " ".join((name or "").split())
    if not text:
        raise ValidationFailedError(fields={"name": [_("Enter a name.")]})
    if len(text) > 60:
        raise ValidationFailedError(fields={"name": [_("Use at most 60 characters.")]})
    return text, normalize(text)


def _clean_color(color: str | None, seed: str) -> str:
    if not color:
        return PALETTE[sum(map(ord, seed)) % len(PALETTE)]
    value = color.strip().lower()
    if not _COLOR_RE.match(value):
        raise ValidationFailedError(fields={"color": [_("Use a colour like #1a2b3c.")]})
    return value


@transaction.atomic
def tag_create(*, actor: Membership, name: str, color: str | None = None) -> Tag:
    """A new tag; its name must be new in the workspace (compared normalized: `علي` equals `علی`).
    Audited; emits tag.created."""
    text, normalized = _clean_name(name)
    if Tag.objects.filter(workspace_id=actor.workspace_id, name_normalized=normalized).exists():
        raise ValidationFailedError(fields={"name": [_("A tag with this name exists already.")]})
    tag = Tag(workspace_id=actor.workspace_id, name=text, name_normalized=normalized)
    tag.color = _clean_color(color, normalized)
    full_clean(tag)
    tag.save()
    audit_create(actor=actor, record=tag)
    emit(tag.workspace_id, "tag.created", tag)
    return tag


@transaction.atomic
def tags_find_or_create(*, actor: Membership, names: Iterable[str]) -> list[Tag]:
    """The tags named (found by normalized name, created when missing and the actor may create tags)."""
    wanted: dict[str, str] = {}
    for name in names:
        text, normalized = _clean_name(name)
        wanted.setdefault(normalized, text)
    if not wanted:
        return []
    found = {
        t.name_normalized: t
        for t in Tag.objects.filter(workspace_id=actor.workspace_id, name_normalized__in=list(wanted))
    }
    missing = [normalized for normalized in wanted if normalized not in found]
    if missing and not actor.may("create", entity="tag"):
        raise PermissionDeniedError(_("You may not create tags: %(names)s") % {"names": ", ".join(missing)})
    for normalized in missing:
        found[normalized] = tag_create(actor=actor, name=wanted[normalized])
    return [found[normalized] for normalized in wanted]


@transaction.atomic
def tag_update(
    *,
    actor: Membership,
    tag: Tag,
    changes: dict[str, Any],
    expected_version: int | None = None,
    precondition: bool = False,
) -> Tag:
    """Rename or recolour a tag (the new name must be free). Audited; emits tag.updated."""
    cleaned = dict(changes)
    if "name" in cleaned:
        text, normalized = _clean_name(cleaned["name"])
        clash = Tag.objects.filter(workspace_id=tag.workspace_id, name_normalized=normalized).exclude(
            pk=tag.pk
        )
        if clash.exists():
            raise ValidationFailedError(
                fields={"name": [_("A tag with this name exists already; merge the two tags instead.")]}
            )
        cleaned["name"] = text
        cleaned["name_normalized"] = normalized
    if "color" in cleaned:
        cleaned["color"] = _clean_color(cleaned["color"] or None, tag.name_normalized)
    record_update(
        actor=actor,
        record=tag,
        changes=cleaned,
        allowed=("name", "name_normalized", "color"),
        expected_version=expected_version,
        precondition=precondition,
    )
    return tag


@transaction.atomic
def tag_merge(*, actor: Membership, sources: Iterable[Tag], target: Tag) -> Tag:
    """Merge `sources` into `target`: every record tagged with a source ends up tagged with the target
    (once), then the sources are deleted. Audited on the target; emits tag.merged."""
    source_list = [s for s in sources if s.pk != target.pk]
    if any(s.workspace_id != target.workspace_id for s in source_list):
        raise ValidationFailedError(fields={"source_ids": [_("Unknown tag.")]})
    source_ids = [s.pk for s in source_list]
    if not source_ids:
        return target
    for entry in _tagged.values():
        record_id = f"{entry.record_field}_id"
        through: Any = entry.through
        already = through.objects.filter(tag_id=target.pk).values(record_id)
        through.objects.filter(tag_id__in=source_ids, **{f"{record_id}__in": already}).delete()
        rows = list(through.objects.filter(tag_id__in=source_ids).values_list("pk", record_id))
        seen: set[int] = set()
        duplicates = []
        for pk, rid in rows:  # a record tagged with two of the sources keeps one link
            if rid in seen:
                duplicates.append(pk)
            else:
                seen.add(rid)
        through.objects.filter(pk__in=duplicates).delete()
        through.objects.filter(tag_id__in=source_ids).update(tag_id=target.pk)
    audit(
        actor=actor,
        record=target,
        action=AuditEntry.Action.UPDATE,
        changes={"merged": [[s.name for s in source_list], target.name]},
    )
    for source in source_list:
        audit(
            actor=actor,
            record=source,
            action=AuditEntry.Action.DELETE,
            changes={"merged_into": [None, target.pk]},
        )
    Tag.objects.filter(pk__in=source_ids).delete()
    emit(target.workspace_id, "tag.merged", target, {"sources": source_ids})
    return target


@transaction.atomic
def tag_delete(*, actor: Membership, tag: Tag) -> None:
    """Remove the tag from every record and delete it (tags are labels, not records: no recycle bin).
    Audited; emits tag.deleted."""
    for entry in _tagged.values():
        entry.through.objects.filter(tag_id=tag.pk).delete()  # type: ignore[attr-defined]
    audit(actor=actor, record=tag, action=AuditEntry.Action.DELETE)
    emit(tag.workspace_id, "tag.deleted", tag, {"name": tag.name})
    tag.delete()


def tag_usage(workspace_id: int, tag_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """How many records of each entity carry each tag (one query per tagged entity)."""
    ids = list(tag_ids)
    result: dict[int, dict[str, int]] = {tag_id: {} for tag_id in ids}
    for entry in _tagged.values():
        through: Any = entry.through
        for row in through.objects.filter(tag_id__in=ids).values("tag_id").annotate(n=models.Count("pk")):
            result[row["tag_id"]][entry.entity] = row["n"]
    return result
