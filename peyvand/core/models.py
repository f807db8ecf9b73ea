"""Base models for every business entity, and the shared tables: audit, event outbox, idempotency."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.core.context import Channel

if TYPE_CHECKING:
    from peyvand.accounts.models import Membership


class Scope(models.TextChoices):
    """How far a role's grant reaches for one entity and action."""

    NONE = "none", _("None")
    OWN = "own", _("Own")
    TEAM = "team", _("Team")
    ALL = "all", _("All")


class ScopedQuerySet(models.QuerySet):
    """Reusable filters for workspace-scoped rows; selectors and access functions compose them."""

    def in_workspace(self, workspace_id: int) -> ScopedQuerySet:
        return self.filter(workspace_id=workspace_id)

    def within_scope(self, scope: str, member: Membership) -> ScopedQuerySet:
        """Rows `member` reaches with `scope`: own rows, rows owned by teammates, or all (deny by default)."""
        if scope == Scope.ALL:
            return self
        owner_field: str | None = getattr(self.model, "OWNER_FIELD", None)
        if scope == Scope.OWN and owner_field:
            return self.filter(**{owner_field: member.pk})
        if scope == Scope.TEAM and owner_field:
            from peyvand.accounts.models import Membership

            teammates = Membership.objects.filter(
                workspace_id=member.workspace_id, teams__in=member.team_ids()
            ).values("pk")
            return self.filter(
                models.Q(**{owner_field: member.pk}) | models.Q(**{f"{owner_field}__in": teammates})
            )
        return self.none()


class AliveManager(models.Manager):
    """Default manager of soft-deletable models: rows in the recycle bin are invisible unless asked for."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class WorkspaceScoped(models.Model):
    """A row that belongs to exactly one workspace (tenant)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")

    ENTITY: ClassVar[str] = ""
    OWNER_FIELD: ClassVar[str | None] = None
    AUDIT_EXCLUDE: ClassVar[frozenset[str]] = frozenset({"version", "created_at", "updated_at"})

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class Versioned(models.Model):
    """Optimistic concurrency: `version` grows by one on every saved change."""

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class SoftDeletable(models.Model):
    """Deleting moves the row to the recycle bin; it can be restored until purged."""

    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class BuiltinNamed:
    """Mixin for a row of an editable list that starts with built-in entries (lifecycle stages, pipelines,
    stages, lost reasons): `key` names a built-in entry, `name` is what someone typed. Until renamed, a
    built-in entry shows its name translated for each reader."""

    BUILTIN_NAMES: ClassVar[Mapping[str, Any]] = {}  # key → lazily translated name
    key: str
    name: str

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        return str(self.BUILTIN_NAMES.get(self.key, self.key))

    def name_for(self, text: str) -> str:
        """The `name` to store when `text` is typed as the label: empty while it is still the built-in name,
        so the entry keeps following the reader's language."""
        return "" if text == self.label and not self.name else text


class AuditEntry(models.Model):
    """One change to one record: who, through which channel, when, and old → new per field."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        RESTORE = "restore", _("Restored")
        PURGE = "purge", _("Purged")
        LOGIN = "login", _("Signed in")
        REVOKE = "revoke", _("Revoked")
        EXPORT = "export", _("Exported")

    workspace = models.ForeignKey("accounts.Workspace", null=True, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.SYSTEM)
    action = models.CharField(max_length=16, choices=Action.choices)
    entity = models.CharField(max_length=40)
    record_id = models.CharField(max_length=64)
    record_label = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    ENTITY: ClassVar[str] = "audit"
    OWNER_FIELD: ClassVar[str | None] = "actor"

    objects = ScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="audit_ws_time"),
            models.Index(fields=["workspace", "entity", "record_id", "-id"], name="audit_ws_record"),
            models.Index(fields=["workspace", "actor", "-id"], name="audit_ws_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.entity}#{self.record_id} {self.action}"


class OutboxEvent(models.Model):
    """A domain event written in the same transaction as the change; dispatched to consumers by a task."""

    workspace = models.ForeignKey("accounts.Workspace", null=True, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    entity = models.CharField(max_length=40)
    record_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["dispatched_at", "id"], name="outbox_pending", condition=models.Q(dispatched_at=None)
            ),
            models.Index(fields=["workspace", "name", "-id"], name="outbox_ws_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.entity}#{self.record_id}"


class EventDelivery(models.Model):
    """Marks that one consumer handled one event, so a redelivery after a crash is skipped."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    consumer = models.CharField(max_length=120)
    delivered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "consumer"], name="delivery_once")]

    def __str__(self) -> str:
        return f"{self.consumer} ← {self.event_id}"


class IdempotencyRecord(models.Model):
    """The stored answer to a POST sent with an `Idempotency-Key`, replayed when the key comes again."""

    credential = models.CharField(max_length=64)
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["credential", "key"], name="idempotency_key_once")]

    def __str__(self) -> str:
        return self.key


class RateCounter(models.Model):
    """Hits of one throttled key (e.g. failed sign-ins for an address) in the current window."""

    key = models.CharField(max_length=200, unique=True)
    hits = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField(default=timezone.now)
    blocked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key


class Tag(WorkspaceScoped, Versioned):
    """A coloured label of a workspace, put on contacts, companies and later leads and deals."""

    name = models.CharField(_("name"), max_length=60)
    name_normalized = models.CharField(max_length=60, editable=False)
    color = models.CharField(_("colour"), max_length=7, default="#6c757d")

    ENTITY: ClassVar[str] = "tag"
    AUDIT_EXCLUDE: ClassVar[frozenset[str]] = frozenset(
        {"version", "created_at", "updated_at", "name_normalized"}
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name_normalized"],
                name="tag_name_unique",
                violation_error_message=_("A tag with this name exists already."),
            ),
            models.CheckConstraint(condition=models.Q(color__regex=r"^#[0-9a-f]{6}$"), name="tag_color_hex"),
        ]

    def __str__(self) -> str:
        return self.name


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    MONEY = "money", _("Money")
    DATE = "date", _("Date")
    DATETIME = "datetime", _("Date and time")
    BOOLEAN = "boolean", _("Yes/no")
    CHOICE = "choice", _("Single choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    URL = "url", _("URL")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    MEMBER = "member", _("Member")


class CustomField(WorkspaceScoped, Versioned, SoftDeletable):
    """A field a workspace adds to one entity (contact, company, …); values live in the record's `custom`."""

    entity = models.CharField(_("record type"), max_length=20)
    key = models.CharField(
        _("key"),
        max_length=40,
        validators=[
            RegexValidator(
                r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$",
                _("Use lower-case letters, digits and single underscores, starting with a letter."),
            )
        ],
    )
    label = models.CharField(_("label"), max_length=80)
    field_type = models.CharField(_("type"), max_length=16, choices=CustomFieldType.choices)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(_("options"), default=list, blank=True)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    searchable = models.BooleanField(_("included in search"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    ENTITY: ClassVar[str] = "custom_field"

    objects = AliveManager.from_queryset(ScopedQuerySet)()  # type: ignore[misc,assignment]
    all_objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "entity", "key"],
                name="custom_field_key_unique",
                violation_error_message=_(
                    "A field with this key exists already (perhaps in the recycle bin)."
                ),
            )
        ]
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def path(self) -> str:
        """The field's name in field rules, filters, imports and exports: `custom.<key>`."""
        return f"custom.{self.key}"
