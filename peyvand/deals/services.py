"""Every write of the deals app: pipelines and their stages, lost reasons, deals moving through stages to
won or lost. Each function is one use case in one transaction: validation, version check, audit, event."""

from __future__ import annotations

import decimal
from typing import Any

from babel.numbers import get_currency_precision
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action, check_writable
from peyvand.core.audit import audit, audit_change, audit_create, snapshot
from peyvand.core.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from peyvand.core.events import emit
from peyvand.core.models import AuditEntry
from peyvand.core.versioning import check_version, save_versioned
from peyvand.core.writes import full_clean, record_create, record_update
from peyvand.deals import access
from peyvand.deals.choices import (
    DEFAULT_LOST_REASONS,
    DEFAULT_STAGES,
    MAX_STAGES,
    MIN_STAGES,
    DealStatus,
)
from peyvand.deals.models import Deal, DealStageEntry, LostReason, Pipeline, Stage

# ----------------------------------------------------------------------------- pipelines and stages


def pipeline_ensure_default(workspace_id: int) -> None:
    """Give a workspace its starting pipeline and lost reasons if it has never had any (idempotent; two
    first uses at once create them once: the loser's insert meets the unique key and is rolled back to its
    savepoint). System set-up, like the lifecycle list: not audited."""
    if not Pipeline.all_objects.filter(workspace_id=workspace_id).exists():
        try:
            with transaction.atomic():
                pipeline = Pipeline.objects.create(workspace_id=workspace_id, key="default", position=0)
                Stage.objects.bulk_create(
                    Stage(
                        workspace_id=workspace_id, pipeline=pipeline, key=key, position=i, probability=chance
                    )
                    for i, (key, _name, chance) in enumerate(DEFAULT_STAGES)
                )
        except IntegrityError:
            pass  # another request made them meanwhile
    if not LostReason.objects.filter(workspace_id=workspace_id).exists():
        try:
            with transaction.atomic():
                LostReason.objects.bulk_create(
                    LostReason(workspace_id=workspace_id, key=key, position=i)
                    for i, (key, _name) in enumerate(DEFAULT_LOST_REASONS)
                )
        except IntegrityError:
            pass


def _clean_stages(stages: Any) -> list[dict[str, Any]]:
    """[{id?, name, probability}] in order: 3–10 of them, each named, probabilities 0–100."""
    if not isinstance(stages, list) or not MIN_STAGES <= len(stages) <= MAX_STAGES:
        raise ValidationFailedError(
            fields={
                "stages": [
                    _("A pipeline has %(min)s to %(max)s stages.") % {"min": MIN_STAGES, "max": MAX_STAGES}
                ]
            }
        )
    cleaned, errors = [], []
    for number, stage in enumerate(stages, start=1):
        name = " ".join(str((stage or {}).get("name") or "").split())[:100]
        try:
            probability = int(stage.get("probability", 0))
        except (TypeError, ValueError, AttributeError):
            probability = -1
        if not name:
            errors.append(_("Stage %(n)s: enter a name.") % {"n": number})
        if not 0 <= probability <= 100:
            errors.append(
                _("Stage %(n)s: the win probability is a whole number from 0 to 100.") % {"n": number}
            )
        cleaned.append(
            {
                "id": stage.get("id") if isinstance(stage, dict) else None,
                "name": name,
                "probability": probability,
            }
        )
    ids = [s["id"] for s in cleaned if s["id"] is not None]
    if any(not isinstance(i, int) or isinstance(i, bool) for i in ids) or len(set(ids)) != len(ids):
        errors.append(_("Each existing stage may be given once, by its id."))
    if errors:
        raise ValidationFailedError(fields={"stages": errors})
    return cleaned


def _require_pipeline_editor(actor: Membership) -> None:
    if not access.may_edit_pipelines(actor):
        raise PermissionDeniedError(_("You may not change pipelines."))


@transaction.atomic
def pipeline_create(
    *, actor: Membership, name: str, stages: list[dict[str, Any]], rotting_days: int | None = None
) -> Pipeline:
    """A new pipeline with its ordered stages (after the workspace's starting one). Audited; emits
    pipeline.created."""
    _require_pipeline_editor(actor)
    pipeline_ensure_default(actor.workspace_id)
    text = " ".join((name or "").split())
    if not text:
        raise ValidationFailedError(fields={"name": [_("Enter a name.")]})
    cleaned = _clean_stages(stages)
    last = Pipeline.objects.filter(workspace_id=actor.workspace_id).order_by("-position").first()
    pipeline = Pipeline(
        workspace_id=actor.workspace_id,
        name=text,
        rotting_days=rotting_days,
        position=last.position + 1 if last else 0,
    )
    record_create(actor=actor, record=pipeline)
    for position, stage in enumerate(cleaned):
        record = Stage(
            workspace_id=actor.workspace_id,
            pipeline=pipeline,
            name=stage["name"],
            probability=stage["probability"],
            position=position,
        )
        full_clean(record)
        record.save()
        audit_create(actor=actor, record=record)
        emit(actor.workspace_id, "stage.created", record)
    return pipeline


@transaction.atomic
def pipeline_update(
    *,
    actor: Membership,
    pipeline: Pipeline,
    changes: dict[str, Any],
    expected_version: int | None = None,
    precondition: bool = False,
) -> Pipeline:
    """Rename, reorder or change the rotting limit of a pipeline (If-Match honoured)."""
    _require_pipeline_editor(actor)
    if "name" in changes:
        changes = {**changes, "name": " ".join(str(changes["name"] or "").split())}
        if not changes["name"]:
            raise ValidationFailedError(fields={"name": [_("Enter a name.")]})
    record_update(
        actor=actor,
        record=pipeline,
        changes=changes,
        allowed=("name", "position", "rotting_days"),
        expected_version=expected_version,
        precondition=precondition,
    )
    return pipeline


@transaction.atomic
def pipeline_set_stages(
    *,
    actor: Membership,
    pipeline: Pipeline,
    stages: list[dict[str, Any]],
    expected_version: int | None = None,
    precondition: bool = False,
) -> list[Stage]:
    """Replace the pipeline's stage list: stages given with their `id` are renamed and moved, stages without
    one are added, and stages left out are removed — refused while any deal (open or closed) stands in one.
    The pipeline's version guards the whole list; each stage change is audited (stage.*)."""
    _require_pipeline_editor(actor)
    check_version(pipeline, expected_version, precondition=precondition)
    cleaned = _clean_stages(stages)
    current = {stage.pk: stage for stage in pipeline.stages.all()}
    kept = {s["id"] for s in cleaned if s["id"] is not None}
    unknown = kept - set(current)
    if unknown:
        raise ValidationFailedError(fields={"stages": [_("A stage given is not in this pipeline.")]})
    removed = [stage for pk, stage in current.items() if pk not in kept]
    # Lock the stages to remove before looking for deals in them: a deal moving in at the same moment either
    # committed first (and is seen here) or waits, then finds its stage gone (see _locked_stage).
    list(Stage.objects.select_for_update().filter(pk__in=[stage.pk for stage in removed]))
    in_use = list(Deal.all_objects.filter(stage__in=removed).values_list("stage_id", flat=True).distinct())
    if in_use:
        names = ", ".join(current[pk].label for pk in in_use)
        raise ConflictError(
            _("Move the deals out of these stages before removing them: %(names)s") % {"names": names}
        )
    for stage in removed:
        audit(actor=actor, record=stage, action=AuditEntry.Action.DELETE)
        emit(actor.workspace_id, "stage.deleted", stage)
        stage.delete()
    result = []
    for position, data in enumerate(cleaned):
        if data["id"] is None:
            stage = Stage(
                workspace_id=actor.workspace_id,
                pipeline=pipeline,
                name=data["name"],
                probability=data["probability"],
                position=position,
            )
            full_clean(stage)
            stage.save()
            audit_create(actor=actor, record=stage)
            emit(actor.workspace_id, "stage.created", stage)
        else:
            stage = current[data["id"]]
            record_update(
                actor=actor,
                record=stage,
                changes={
                    "name": stage.name_for(data["name"]),
                    "probability": data["probability"],
                    "position": position,
                },
                allowed=("name", "probability", "position"),
            )
        result.append(stage)
    save_versioned(pipeline, update_fields=[])
    after = [s.pk for s in result]
    audit(
        actor=actor,
        record=pipeline,
        action=AuditEntry.Action.UPDATE,
        changes={"stages": [list(current), after]},
    )
    emit(actor.workspace_id, "pipeline.stages_changed", pipeline, {"stages": after})
    return result


# ----------------------------------------------------------------------------- lost reasons


@transaction.atomic
def lost_reason_save(
    *,
    actor: Membership,
    reason: LostReason | None,
    name: str,
    is_active: bool = True,
    expected_version: int | None = None,
    precondition: bool = False,
) -> LostReason:
    """Add a lost reason (after the built-in ones), or rename / stop offering one (a reason deals name is
    never deleted). If-Match honoured on a change."""
    _require_pipeline_editor(actor)
    pipeline_ensure_default(actor.workspace_id)
    text = " ".join((name or "").split())[:100]
    if not text:
        raise ValidationFailedError(fields={"name": [_("Enter a name.")]})
    if reason is None:
        last = LostReason.objects.filter(workspace_id=actor.workspace_id).order_by("-position").first()
        reason = LostReason(
            workspace_id=actor.workspace_id,
            name=text,
            is_active=is_active,
            position=last.position + 1 if last else 0,
        )
        return record_create(actor=actor, record=reason)
    record_update(
        actor=actor,
        record=reason,
        changes={"name": reason.name_for(text), "is_active": is_active},
        allowed=("name", "is_active"),
        expected_version=expected_version,
        precondition=precondition,
    )
    return reason


# ----------------------------------------------------------------------------- deals


def round_amount(amount: Any, currency: str) -> decimal.Decimal:
    """A money amount as a Decimal rounded half-up to the currency's minor unit (IRR 0, USD 2, KWD 3…);
    ValidationFailedError naming `amount` if it is not a number or is negative."""
    try:
        value = decimal.Decimal(str(amount).strip().replace(",", ""))
    except (decimal.InvalidOperation, ValueError):
        raise ValidationFailedError(fields={"amount": [_("Enter a number.")]}) from None
    if not value.is_finite():
        raise ValidationFailedError(fields={"amount": [_("Enter a number.")]})
    if value < 0:
        raise ValidationFailedError(fields={"amount": [_("The value cannot be negative.")]})
    if value and value.adjusted() >= 15:  # below 10^15, so rounding up still fits the column's 16 digits
        raise ValidationFailedError(fields={"amount": [_("This value is too large.")]})
    places = get_currency_precision(currency)
    return value.quantize(decimal.Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP) + 0


def amount_of(deal: Deal) -> decimal.Decimal:
    """The deal's value with as many decimals as its currency has (stored with four)."""
    places = get_currency_precision(deal.currency)
    return decimal.Decimal(deal.amount).quantize(
        decimal.Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP
    )


def _enter_stage(deal: Deal, actor: Membership | None, when: Any) -> None:
    DealStageEntry.objects.create(
        workspace_id=deal.workspace_id,
        deal=deal,
        stage=deal.stage,
        stage_name=deal.stage.label[:100],
        entered_at=when,
        actor=actor,
    )


def _leave_stage(deal: Deal, when: Any) -> None:
    DealStageEntry.objects.filter(deal=deal, left_at__isnull=True).update(left_at=when)


def _locked_stage(stage: Stage) -> Stage:
    """`stage`, locked against removal until this transaction ends (PostgreSQL; SQLite writes one at a
    time anyway); a stage removed meanwhile is a 422 naming `stage_id`."""
    locked = (
        Stage.objects.select_for_update(no_key=True).filter(pk=stage.pk).select_related("pipeline").first()
    )
    if locked is None:
        raise ValidationFailedError(fields={"stage_id": [_("This stage no longer exists.")]})
    return locked


def _stage_in(pipeline: Pipeline, stage: Stage | None) -> Stage:
    if stage is None:
        first = pipeline.stages.order_by("position", "id").first()
        if first is None:
            raise ValidationFailedError(fields={"stage_id": [_("This pipeline has no stages.")]})
        return first
    if stage.pipeline_id != pipeline.pk:
        raise ValidationFailedError(fields={"stage_id": [_("This stage belongs to another pipeline.")]})
    return stage


@transaction.atomic
def deal_create(*, actor: Membership, data: dict[str, Any]) -> Deal:
    """A new open deal. `data`: title (required), pipeline and stage (the default pipeline and its first
    stage when left out; the stage must be the pipeline's), amount and currency (the workspace's currency
    when left out; rounded to the currency's minor unit), expected_close, owner (the actor unless they may
    assign), company (one the actor sees), source. A stage alone picks its pipeline. Records the first stage
    entry; audited; deal.created."""
    if not actor.may(Action.CREATE, entity="deal"):
        raise PermissionDeniedError(_("You may not create deals."))
    touched = {name for name, value in data.items() if value not in (None, "")}
    if data.get("owner") == actor:
        touched.discard("owner")
    check_writable(actor, "deal", sorted(touched))
    title = " ".join(str(data.get("title") or "").split())
    if not title:
        raise ValidationFailedError(fields={"title": [_("Enter a title.")]})
    pipeline_ensure_default(actor.workspace_id)
    pipeline = (
        data.get("pipeline")
        or (data["stage"].pipeline if data.get("stage") else None)
        or Pipeline.objects.filter(workspace_id=actor.workspace_id).first()
    )
    if pipeline is None:
        raise ValidationFailedError(fields={"pipeline_id": [_("Create a pipeline first.")]})
    stage = _locked_stage(_stage_in(pipeline, data.get("stage")))
    currency = str(data.get("currency") or actor.workspace.default_currency).upper()
    owner = data.get("owner") or actor
    if owner != actor and not actor.may(Action.ASSIGN, entity="deal"):
        raise PermissionDeniedError(_("You may not give deals to other members."))
    now = timezone.now()
    deal = Deal(
        workspace_id=actor.workspace_id,
        title=title[:200],
        pipeline=pipeline,
        stage=stage,
        currency=currency,
        amount=round_amount(data.get("amount") or 0, currency),
        expected_close=data.get("expected_close"),
        owner=owner,
        company=data.get("company"),
        source=" ".join(str(data.get("source") or "").split())[:100],
        stage_entered_at=now,
        created_at=now,
        updated_at=now,
    )
    record_create(actor=actor, record=deal, payload={"pipeline": pipeline.pk, "stage": stage.pk})
    _enter_stage(deal, actor, now)
    return deal


@transaction.atomic
def deal_update(
    *,
    actor: Membership,
    deal: Deal,
    changes: dict[str, Any],
    expected_version: int | None = None,
    precondition: bool = False,
) -> Deal:
    """Change a deal's own fields (title, amount, currency, expected_close, owner, company, source); stages
    and outcomes have their own use cases. If-Match honoured; audited; deal.updated."""
    changes = dict(changes)
    if "title" in changes:
        changes["title"] = " ".join(str(changes["title"] or "").split())[:200]
        if not changes["title"]:
            raise ValidationFailedError(fields={"title": [_("Enter a title.")]})
    if "currency" in changes:
        changes["currency"] = str(changes["currency"] or "").upper()
    currency = changes.get("currency", deal.currency)
    if "amount" in changes or "currency" in changes:
        changes["amount"] = round_amount(changes.get("amount", deal.amount), currency)  # unchanged: not saved
    if "owner" in changes and changes["owner"] != deal.owner and not actor.may(Action.ASSIGN, deal):
        raise PermissionDeniedError(_("You may not give this deal to another member."))
    if "source" in changes:
        changes["source"] = " ".join(str(changes["source"] or "").split())[:100]
    record_update(
        actor=actor,
        record=deal,
        changes=changes,
        allowed=("title", "amount", "currency", "expected_close", "owner", "company", "source"),
        expected_version=expected_version,
        precondition=precondition,
    )
    return deal


def _refuse_closed(deal: Deal) -> None:
    if deal.status != DealStatus.OPEN:
        raise ConflictError(_("This deal is closed. Reopen it first."))


@transaction.atomic
def deal_move_to_stage(
    *,
    actor: Membership,
    deal: Deal,
    stage: Stage,
    expected_version: int | None = None,
    precondition: bool = False,
) -> Deal:
    """Move an open deal to another stage of its pipeline. Closes the stay in the old stage and opens one in
    the new; audited; emits deal.stage_changed. Moving to the current stage is a no-op, so retries are safe;
    two people moving the same deal at once: the second gets a conflict."""
    if stage.pk == deal.stage_id:
        return deal
    check_version(deal, expected_version, precondition=precondition)
    _refuse_closed(deal)
    check_writable(actor, "deal", ["stage"])
    stage = _locked_stage(_stage_in(deal.pipeline, stage))
    before = snapshot(deal)
    now = timezone.now()
    deal.stage = stage
    deal.stage_entered_at = now
    full_clean(deal)
    save_versioned(deal, update_fields=["stage", "stage_entered_at"])
    _leave_stage(deal, now)
    _enter_stage(deal, actor, now)
    audit_change(actor=actor, record=deal, before=before)
    emit(deal.workspace_id, "deal.stage_changed", deal, {"from": before["stage"], "to": stage.pk})
    return deal


@transaction.atomic
def deal_win(
    *, actor: Membership, deal: Deal, expected_version: int | None = None, precondition: bool = False
) -> Deal:
    """Mark an open deal won (its stay in the current stage ends); audited; emits deal.won."""
    return _close(actor, deal, DealStatus.WON, None, "", expected_version, precondition)


@transaction.atomic
def deal_lose(
    *,
    actor: Membership,
    deal: Deal,
    reason: LostReason | None,
    note: str = "",
    expected_version: int | None = None,
    precondition: bool = False,
) -> Deal:
    """Mark an open deal lost, with one of the workspace's lost reasons (required) and an optional note;
    audited; emits deal.lost."""
    if reason is None:
        raise ValidationFailedError(fields={"lost_reason_id": [_("Choose why the deal was lost.")]})
    if reason.workspace_id != deal.workspace_id:
        raise ValidationFailedError(fields={"lost_reason_id": [_("Unknown lost reason.")]})
    if not reason.is_active:
        raise ValidationFailedError(fields={"lost_reason_id": [_("This reason is no longer offered.")]})
    return _close(actor, deal, DealStatus.LOST, reason, note, expected_version, precondition)


def _close(
    actor: Membership,
    deal: Deal,
    status: str,
    reason: LostReason | None,
    note: str,
    expected_version: int | None,
    precondition: bool,
) -> Deal:
    check_version(deal, expected_version, precondition=precondition)
    _refuse_closed(deal)
    check_writable(actor, "deal", ["stage"] + (["lost_reason", "lost_note"] if reason else []))
    before = snapshot(deal)
    now = timezone.now()
    deal.status = status
    deal.closed_at = now
    deal.lost_reason = reason
    deal.lost_note = (note or "").strip()[:2000]
    full_clean(deal)
    save_versioned(deal, update_fields=["status", "closed_at", "lost_reason", "lost_note"])
    _leave_stage(deal, now)
    audit_change(actor=actor, record=deal, before=before)
    payload: dict[str, Any] = {"stage": deal.stage_id, "amount": str(deal.amount), "currency": deal.currency}
    if reason is not None:
        payload["lost_reason"] = reason.pk
    emit(deal.workspace_id, f"deal.{status}", deal, payload)
    return deal


@transaction.atomic
def deal_reopen(
    *, actor: Membership, deal: Deal, expected_version: int | None = None, precondition: bool = False
) -> Deal:
    """Put a won or lost deal back in its stage as open (a new stay begins); audited; deal.reopened."""
    check_version(deal, expected_version, precondition=precondition)
    if deal.status == DealStatus.OPEN:
        return deal
    check_writable(actor, "deal", ["stage"])
    before = snapshot(deal)
    now = timezone.now()
    deal.status = DealStatus.OPEN
    deal.closed_at = None
    deal.lost_reason = None
    deal.lost_note = ""
    deal.stage_entered_at = now
    save_versioned(
        deal, update_fields=["status", "closed_at", "lost_reason", "lost_note", "stage_entered_at"]
    )
    _enter_stage(deal, actor, now)
    audit_change(actor=actor, record=deal, before=before)
    emit(deal.workspace_id, "deal.reopened", deal)
    return deal
