"""What the deals app tells the foundation: its entities (roles editor, field rules) and its recycle-bin
entries. Imported once by the app config."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from peyvand.accounts import policy
from peyvand.core import recycle
from peyvand.deals.models import Deal

DEAL_FIELDS = (
    ("title", _("Title")),
    ("pipeline", _("Pipeline")),
    ("stage", _("Stage")),
    ("amount", _("Value")),
    ("currency", _("Currency")),
    ("expected_close", _("Expected close date")),
    ("owner", _("Owner")),
    ("company", _("Company")),
    ("source", _("Source")),
    ("lost_reason", _("Lost reason")),
    ("lost_note", _("Why it was lost")),
)

policy.register_entity(
    policy.EntitySpec(
        name="deal",
        label=_("Deals"),
        actions=tuple(policy.Action.values),
        fields=DEAL_FIELDS,
        aliases={"stage": ("stage_entered_at",)},  # when a deal entered its stage tells which stage it is in
        note=_("Change covers moving a deal between stages and marking it won or lost."),
    )
)
policy.register_entity(
    policy.EntitySpec(
        name="pipeline",
        label=_("Pipelines, stages and lost reasons"),
        actions=("change",),
        scopes=("none", "all"),
        kind="settings",
        defaults={"sales_manager": {"change": "all"}},
    )
)

recycle.register_bin_entity(recycle.BinEntity("deal", _("Deals"), Deal))
