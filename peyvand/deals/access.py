"""The only ways in to deals, pipelines, stages and lost reasons (ARCHITECTURE §4).

A record the member cannot see answers NotFoundError (404), like a missing one; PermissionDeniedError (403)
when they can see it but may not do the action. Pipelines, stages and lost reasons are seen by everyone who
may see deals, and changed by those the role lets change the `pipeline` settings.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.core.errors import NotFoundError, PermissionDeniedError
from peyvand.core.models import ScopedQuerySet
from peyvand.deals.models import Deal, LostReason, Pipeline, Stage


def deals_visible_to(member: Membership) -> ScopedQuerySet:
    """Live deals of the member's workspace within their view scope (none / own / team / all)."""
    scope = member.scope_for("deal", Action.VIEW)
    return Deal.objects.in_workspace(member.workspace_id).within_scope(scope, member)


def access_deal(*, member: Membership, deal_id: int, action: str = Action.VIEW) -> Deal:
    deal = (
        deals_visible_to(member)
        .select_related("pipeline", "stage", "owner__user", "company", "lost_reason")
        .filter(pk=deal_id)
        .first()
    )
    if deal is None:
        raise NotFoundError(_("Deal not found."))
    if action != Action.VIEW and not member.may(action, deal):
        raise PermissionDeniedError()
    return deal


def sees_deals(member: Membership) -> bool:
    """Whether the member may see any deal, and so the pipelines, stages and lost reasons."""
    return member.scope_for("deal", Action.VIEW) != "none"


def pipelines_visible_to(member: Membership) -> ScopedQuerySet:
    """The workspace's live pipelines, for a member who may see deals at all."""
    if not sees_deals(member):
        return Pipeline.objects.none()  # type: ignore[return-value]
    return Pipeline.objects.in_workspace(member.workspace_id)


def lost_reasons_visible_to(member: Membership) -> ScopedQuerySet:
    """The workspace's lost reasons (offered and retired), for a member who may see deals at all."""
    if not sees_deals(member):
        return LostReason.objects.none()  # type: ignore[return-value]
    return LostReason.objects.in_workspace(member.workspace_id)


def may_edit_pipelines(member: Membership) -> bool:
    return member.may(Action.CHANGE, entity="pipeline")


def access_pipeline(*, member: Membership, pipeline_id: int, action: str = Action.VIEW) -> Pipeline:
    pipeline = pipelines_visible_to(member).filter(pk=pipeline_id).first()
    if pipeline is None:
        raise NotFoundError(_("Pipeline not found."))
    if action != Action.VIEW and not may_edit_pipelines(member):
        raise PermissionDeniedError(_("You may not change pipelines."))
    return pipeline


def access_stage(*, member: Membership, stage_id: int) -> Stage:
    """A stage of a pipeline the member sees (for moving deals; editing goes through its pipeline)."""
    stage = (
        Stage.objects.filter(
            pk=stage_id,
            pipeline__in=pipelines_visible_to(member).values("pk"),
            workspace_id=member.workspace_id,
        )
        .select_related("pipeline")
        .first()
    )
    if stage is None:
        raise NotFoundError(_("Stage not found."))
    return stage


def access_lost_reason(*, member: Membership, reason_id: int, action: str = Action.VIEW) -> LostReason:
    reason = lost_reasons_visible_to(member).filter(pk=reason_id).first()
    if reason is None:
        raise NotFoundError(_("Lost reason not found."))
    if action != Action.VIEW and not may_edit_pipelines(member):
        raise PermissionDeniedError(_("You may not change pipelines."))
    return reason
