"""Fixed lists of the deals app: deal states and the starting pipeline and lost reasons of a workspace."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

MIN_STAGES = 3
MAX_STAGES = 10


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


# The stages a new workspace's default pipeline starts with: key, name, win probability (%).
DEFAULT_STAGES = (
    ("qualified", _("Qualified"), 10),
    ("contact_made", _("Contact made"), 20),
    ("demo", _("Demo or meeting"), 40),
    ("proposal", _("Proposal sent"), 60),
    ("negotiation", _("Negotiation"), 80),
)
DEFAULT_PIPELINE_NAME = _("Sales")

DEFAULT_LOST_REASONS = (
    ("price", _("Price too high")),
    ("competitor", _("Chose a competitor")),
    ("no_budget", _("No budget")),
    ("no_response", _("No response")),
    ("timing", _("Bad timing")),
    ("other", _("Other")),
)
