"""Fixed choice lists of contacts and companies (the lifecycle list is editable: see LifecycleStage)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Consent(models.TextChoices):
    UNKNOWN = "", _("Not asked")
    GRANTED = "granted", _("Granted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PreferredChannel(models.TextChoices):
    NONE = "", _("No preference")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    LINE = "line", _("LINE")
    INSTAGRAM = "instagram", _("Instagram")


class CompanyType(models.TextChoices):
    NONE = "", _("Not set")
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")
    PARTNER = "partner", _("Partner")
    SUPPLIER = "supplier", _("Supplier")
    COMPETITOR = "competitor", _("Competitor")


SOCIAL_NETWORKS = {
    "telegram": _("Telegram"),
    "instagram": _("Instagram"),
    "whatsapp": _("WhatsApp"),
    "line": _("LINE"),
    "linkedin": _("LinkedIn"),
}

POINT_LABELS = {
    "work": _("Work"),
    "home": pgettext_lazy("phone or address label", "Home"),
    "mobile": _("Mobile"),
    "other": _("Other"),
    "fax": _("Fax"),
}

# The lifecycle stages a new workspace starts with (key → label); the list is editable per workspace.
DEFAULT_LIFECYCLE = (
    ("subscriber", _("Subscriber")),
    ("lead", _("Lead")),
    ("qualified", _("Qualified")),
    ("opportunity", _("Opportunity")),
    ("customer", _("Customer")),
    ("advocate", _("Advocate")),
    ("churned", _("Churned")),
)
