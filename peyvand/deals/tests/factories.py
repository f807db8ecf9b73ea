"""Test helpers for deals: a deal in the workspace's default pipeline, made through the service."""

from __future__ import annotations

from typing import Any

from peyvand.accounts.models import Membership
from peyvand.deals import services
from peyvand.deals.models import Deal, Pipeline, Stage


def default_pipeline(member: Membership) -> Pipeline:
    services.pipeline_ensure_default(member.workspace_id)
    return Pipeline.objects.get(workspace_id=member.workspace_id, key="default")


def stages_of(pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.order_by("position"))


def make_deal(actor: Membership, title: str = "Ten licences", **data: Any) -> Deal:
    return services.deal_create(actor=actor, data={"title": title, **data})
