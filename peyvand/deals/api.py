"""The deals API: pipelines with their stages, lost reasons, and deals moving through stages to won or
lost. Each operation parses, authorizes through deals/access.py, then calls one service."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status

from peyvand.accounts.access import access_binned
from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action, hidden_fields
from peyvand.contacts.access import linkable_company, owner_of, shown_company_ids
from peyvand.contacts.api_output import member_ref, redacted
from peyvand.core import recycle
from peyvand.core.api import ERRORS_READ, ERRORS_WRITE, expected_version
from peyvand.core.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from peyvand.core.pagination import keyset_page
from peyvand.deals import access, services
from peyvand.deals.choices import DealStatus
from peyvand.deals.models import Deal, LostReason, Pipeline
from peyvand.deals.schemas import (
    DealIn,
    DealListQuery,
    DealLoseIn,
    DealOut,
    DealPageOut,
    DealPatchIn,
    DealStageIn,
    LostReasonIn,
    LostReasonOut,
    LostReasonPageOut,
    LostReasonPatchIn,
    PipelineIn,
    PipelineOut,
    PipelinePageOut,
    PipelinePatchIn,
    StagesIn,
)

router = Router(tags=["deals"])

# A list filter and the field rule that hides what it filters by (filtering would reveal it row by row).
_FILTER_RULES = {
    "pipeline_id": "pipeline",
    "stage_id": "stage",
    "owner_id": "owner",
    "company_id": "company",
    "status": "stage",
}

DEAL_ORDERINGS = {
    "-created": "-created_at",
    "created": "created_at",
    "title": "title",
    "-title": "-title",
    "amount": "amount",
    "-amount": "-amount",
}


def _member(request: HttpRequest) -> Membership:
    return request.member  # type: ignore[attr-defined,no-any-return]


# ================================================================== output


def pipeline_out(pipeline: Pipeline) -> dict[str, Any]:
    return {
        "id": pipeline.pk,
        "key": pipeline.key,
        "label": pipeline.label,
        "position": pipeline.position,
        "rotting_days": pipeline.rotting_days,
        "version": pipeline.version,
        "stages": [
            {
                "id": stage.pk,
                "key": stage.key,
                "label": stage.label,
                "position": stage.position,
                "probability": stage.probability,
                "version": stage.version,
            }
            for stage in sorted(pipeline.stages.all(), key=lambda s: (s.position, s.pk))
        ],
    }


def reason_out(reason: LostReason) -> dict[str, Any]:
    return {
        "id": reason.pk,
        "key": reason.key,
        "label": reason.label,
        "is_active": reason.is_active,
        "position": reason.position,
        "version": reason.version,
    }


def deals_out(member: Membership, deals: list[Deal]) -> list[dict[str, Any]]:
    """Deals as the API shows them: the reader's hidden fields null, a linked company only if shown."""
    companies = shown_company_ids(member, (deal.company for deal in deals))
    result = []
    for deal in deals:
        data = {
            "id": deal.pk,
            "title": deal.title,
            "pipeline": {"id": deal.pipeline_id, "name": deal.pipeline.label},
            "stage": {"id": deal.stage_id, "name": deal.stage.label},
            "status": deal.status,
            "amount": services.amount_of(deal),
            "currency": deal.currency,
            "expected_close": deal.expected_close,
            "owner": member_ref(member, deal.owner),
            "company": {"id": deal.company.pk, "name": deal.company.name}
            if deal.company is not None and deal.company.pk in companies
            else None,
            "source": deal.source,
            "lost_reason": {"id": deal.lost_reason.pk, "name": deal.lost_reason.label}
            if deal.lost_reason is not None
            else None,
            "lost_note": deal.lost_note,
            "closed_at": deal.closed_at,
            "stage_entered_at": deal.stage_entered_at,
            "created_at": deal.created_at,
            "updated_at": deal.updated_at,
            "version": deal.version,
        }
        result.append(redacted(member, "deal", data))
    return result


def _deal_out(member: Membership, deal_id: int) -> dict[str, Any]:
    return deals_out(member, [_with_related(Deal.all_objects.filter(pk=deal_id)).get()])[0]


def _with_related(qs: Any) -> Any:
    return qs.select_related("pipeline", "stage", "owner__user", "company", "lost_reason")


# ================================================================== pipelines and lost reasons


@router.get("/pipelines", response={200: PipelinePageOut, **ERRORS_READ})
def list_pipelines(request: HttpRequest) -> dict[str, Any]:
    """The workspace's pipelines in order, each with its stages and their win probabilities."""
    member = _member(request)
    if access.sees_deals(member):
        services.pipeline_ensure_default(member.workspace_id)
    pipelines = access.pipelines_visible_to(member).prefetch_related("stages")
    return {"items": [pipeline_out(p) for p in pipelines], "next_cursor": None}


@router.post("/pipelines", response={201: PipelineOut, **ERRORS_WRITE})
def create_pipeline(request: HttpRequest, payload: PipelineIn) -> Status:
    member = _member(request)
    pipeline = services.pipeline_create(
        actor=member,
        name=payload.name,
        stages=[stage.model_dump() for stage in payload.stages],
        rotting_days=payload.rotting_days,
    )
    return Status(201, pipeline_out(pipeline))


@router.get("/pipelines/{pipeline_id}", response={200: PipelineOut, **ERRORS_READ})
def get_pipeline(request: HttpRequest, pipeline_id: int) -> dict[str, Any]:
    return pipeline_out(access.access_pipeline(member=_member(request), pipeline_id=pipeline_id))


@router.patch("/pipelines/{pipeline_id}", response={200: PipelineOut, **ERRORS_WRITE})
def update_pipeline(request: HttpRequest, pipeline_id: int, payload: PipelinePatchIn) -> dict[str, Any]:
    member = _member(request)
    pipeline = access.access_pipeline(member=member, pipeline_id=pipeline_id, action=Action.CHANGE)
    changes = payload.model_dump(exclude_unset=True)
    version, precondition = expected_version(request, changes.pop("expected_version", None))
    services.pipeline_update(
        actor=member, pipeline=pipeline, changes=changes, expected_version=version, precondition=precondition
    )
    return pipeline_out(Pipeline.objects.get(pk=pipeline.pk))


@router.put("/pipelines/{pipeline_id}/stages", response={200: PipelineOut, **ERRORS_WRITE})
def set_pipeline_stages(request: HttpRequest, pipeline_id: int, payload: StagesIn) -> dict[str, Any]:
    """Replace the stage list (3–10, in order). Stages with deals in them cannot be left out (409)."""
    member = _member(request)
    pipeline = access.access_pipeline(member=member, pipeline_id=pipeline_id, action=Action.CHANGE)
    version, precondition = expected_version(request, payload.expected_version)
    services.pipeline_set_stages(
        actor=member,
        pipeline=pipeline,
        stages=[stage.model_dump() for stage in payload.stages],
        expected_version=version,
        precondition=precondition,
    )
    return pipeline_out(Pipeline.objects.get(pk=pipeline.pk))


@router.get("/lost-reasons", response={200: LostReasonPageOut, **ERRORS_READ})
def list_lost_reasons(request: HttpRequest) -> dict[str, Any]:
    """The reasons a lost deal can give, offered ones and retired ones (`is_active`)."""
    member = _member(request)
    if access.sees_deals(member):
        services.pipeline_ensure_default(member.workspace_id)
    reasons = access.lost_reasons_visible_to(member)
    return {"items": [reason_out(r) for r in reasons], "next_cursor": None}


@router.post("/lost-reasons", response={201: LostReasonOut, **ERRORS_WRITE})
def create_lost_reason(request: HttpRequest, payload: LostReasonIn) -> Status:
    reason = services.lost_reason_save(
        actor=_member(request), reason=None, name=payload.name, is_active=payload.is_active
    )
    return Status(201, reason_out(reason))


@router.patch("/lost-reasons/{reason_id}", response={200: LostReasonOut, **ERRORS_WRITE})
def update_lost_reason(request: HttpRequest, reason_id: int, payload: LostReasonPatchIn) -> dict[str, Any]:
    member = _member(request)
    reason = access.access_lost_reason(member=member, reason_id=reason_id, action=Action.CHANGE)
    version, precondition = expected_version(request, payload.expected_version)
    services.lost_reason_save(
        actor=member,
        reason=reason,
        name=payload.name if payload.name is not None else reason.label,
        is_active=payload.is_active if payload.is_active is not None else reason.is_active,
        expected_version=version,
        precondition=precondition,
    )
    return reason_out(LostReason.objects.get(pk=reason.pk))


# ================================================================== deals


def _deal_data(member: Membership, values: dict[str, Any]) -> dict[str, Any]:
    """Body fields → service fields, related ids resolved to rows the caller may use."""
    data: dict[str, Any] = {}
    for name, value in values.items():
        if name == "pipeline_id":
            data["pipeline"] = None if value is None else _pipeline_field(member, value)
        elif name == "stage_id":
            data["stage"] = None if value is None else _stage_field(member, value)
        elif name == "owner_id":
            data["owner"] = owner_of(member=member, owner_id=value)
        elif name == "company_id":
            data["company"] = linkable_company(member=member, company_id=value)
        elif name in ("source", "title") and value is None:
            data[name] = ""
        else:
            data[name] = value
    return data


def _pipeline_field(member: Membership, pipeline_id: int) -> Pipeline:
    try:
        return access.access_pipeline(member=member, pipeline_id=pipeline_id)
    except NotFoundError:
        raise ValidationFailedError(fields={"pipeline_id": [_("Unknown pipeline.")]}) from None


def _stage_field(member: Membership, stage_id: int) -> Any:
    try:
        return access.access_stage(member=member, stage_id=stage_id)
    except NotFoundError:
        raise ValidationFailedError(fields={"stage_id": [_("Unknown stage.")]}) from None


@router.get("/deals", response={200: DealPageOut, **ERRORS_READ})
def list_deals(request: HttpRequest, filters: Query[DealListQuery]) -> dict[str, Any]:
    """Deals the caller may see, filtered by pipeline, stage, status, owner or company (keyset pages)."""
    member = _member(request)
    if filters.ordering not in DEAL_ORDERINGS:
        raise ValidationFailedError(
            fields={"ordering": [_("Order by one of: %(names)s.") % {"names": ", ".join(DEAL_ORDERINGS)}]}
        )
    if filters.status is not None and filters.status not in DealStatus.values:
        raise ValidationFailedError(fields={"status": [_("Choose open, won or lost.")]})
    hidden = hidden_fields(member, "deal")
    refused = {
        name: [_("You may not filter by this field.")]
        for name, rule in _FILTER_RULES.items()
        if rule in hidden and getattr(filters, name) is not None
    }
    if DEAL_ORDERINGS[filters.ordering].lstrip("-") in hidden:
        refused["ordering"] = [_("You may not order by this field.")]
    if refused:
        raise ValidationFailedError(fields=refused)
    qs = access.deals_visible_to(member)
    for name in ("pipeline_id", "stage_id", "owner_id", "company_id", "status"):
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(**{name: value})
    page = keyset_page(
        _with_related(qs),
        ordering=DEAL_ORDERINGS[filters.ordering],
        limit=filters.limit,
        cursor=filters.cursor,
    )
    return {"items": deals_out(member, page.items), "next_cursor": page.next_cursor}


@router.post("/deals", response={201: DealOut, **ERRORS_WRITE})
def create_deal(request: HttpRequest, payload: DealIn) -> Status:
    member = _member(request)
    if not member.may(Action.CREATE, entity="deal"):
        raise PermissionDeniedError(_("You may not create deals."))
    deal = services.deal_create(actor=member, data=_deal_data(member, payload.model_dump(exclude_unset=True)))
    return Status(201, _deal_out(member, deal.pk))


@router.get("/deals/{deal_id}", response={200: DealOut, **ERRORS_READ})
def get_deal(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    member = _member(request)
    return deals_out(member, [access.access_deal(member=member, deal_id=deal_id)])[0]


@router.patch("/deals/{deal_id}", response={200: DealOut, **ERRORS_WRITE})
def update_deal(request: HttpRequest, deal_id: int, payload: DealPatchIn) -> dict[str, Any]:
    member = _member(request)
    deal = access.access_deal(member=member, deal_id=deal_id, action=Action.CHANGE)
    changes = payload.model_dump(exclude_unset=True)
    version, precondition = expected_version(request, changes.pop("expected_version", None))
    services.deal_update(
        actor=member,
        deal=deal,
        changes=_deal_data(member, changes),
        expected_version=version,
        precondition=precondition,
    )
    return _deal_out(member, deal.pk)


@router.post("/deals/{deal_id}/stage", response={200: DealOut, **ERRORS_WRITE})
def move_deal_stage(request: HttpRequest, deal_id: int, payload: DealStageIn) -> dict[str, Any]:
    """Move an open deal to another stage of its pipeline (If-Match: the deal's version)."""
    member = _member(request)
    deal = access.access_deal(member=member, deal_id=deal_id, action=Action.CHANGE)
    stage = _stage_field(member, payload.stage_id)
    version, precondition = expected_version(request, payload.expected_version)
    services.deal_move_to_stage(
        actor=member, deal=deal, stage=stage, expected_version=version, precondition=precondition
    )
    return _deal_out(member, deal.pk)


@router.post("/deals/{deal_id}/win", response={200: DealOut, **ERRORS_WRITE})
def win_deal(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    """Mark an open deal won (If-Match: the deal's version)."""
    member = _member(request)
    deal = access.access_deal(member=member, deal_id=deal_id, action=Action.CHANGE)
    version, precondition = expected_version(request, None)
    services.deal_win(actor=member, deal=deal, expected_version=version, precondition=precondition)
    return _deal_out(member, deal.pk)


@router.post("/deals/{deal_id}/lose", response={200: DealOut, **ERRORS_WRITE})
def lose_deal(request: HttpRequest, deal_id: int, payload: DealLoseIn) -> dict[str, Any]:
    member = _member(request)
    deal = access.access_deal(member=member, deal_id=deal_id, action=Action.CHANGE)
    try:
        reason = access.access_lost_reason(member=member, reason_id=payload.lost_reason_id)
    except NotFoundError:
        raise ValidationFailedError(fields={"lost_reason_id": [_("Unknown lost reason.")]}) from None
    version, precondition = expected_version(request, payload.expected_version)
    services.deal_lose(
        actor=member,
        deal=deal,
        reason=reason,
        note=payload.note,
        expected_version=version,
        precondition=precondition,
    )
    return _deal_out(member, deal.pk)


@router.post("/deals/{deal_id}/reopen", response={200: DealOut, **ERRORS_WRITE})
def reopen_deal(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    """Put a won or lost deal back in its stage as open (If-Match: the deal's version)."""
    member = _member(request)
    deal = access.access_deal(member=member, deal_id=deal_id, action=Action.CHANGE)
    version, precondition = expected_version(request, None)
    services.deal_reopen(actor=member, deal=deal, expected_version=version, precondition=precondition)
    return _deal_out(member, deal.pk)


@router.delete("/deals/{deal_id}", response={204: None, **ERRORS_WRITE})
def delete_deal(request: HttpRequest, deal_id: int) -> Status:
    """Move a deal to the recycle bin (restore with POST /deals/{id}/restore)."""
    member = _member(request)
    deal = access.access_deal(member=member, deal_id=deal_id, action=Action.DELETE)
    recycle.soft_delete(actor=member, record=deal)
    return Status(204, None)


@router.post("/deals/{deal_id}/restore", response={200: DealOut, **ERRORS_WRITE})
def restore_deal(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    member = _member(request)
    deal = access_binned(member=member, model=Deal, entity="deal", record_id=deal_id)
    recycle.restore(actor=member, record=deal)
    return _deal_out(member, deal.pk)
