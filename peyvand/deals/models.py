"""Pipelines with their stages, lost reasons, deals and each deal's stage history."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import validate_currency
from peyvand.core.models import (
    AliveManager,
    BuiltinNamed,
    ScopedQuerySet,
    SoftDeletable,
    Versioned,
    WorkspaceScoped,
)
from peyvand.deals.choices import DEFAULT_LOST_REASONS, DEFAULT_PIPELINE_NAME, DEFAULT_STAGES, DealStatus


class Pipeline(BuiltinNamed, WorkspaceScoped, Versioned, SoftDeletable):
    """A sales process (new sales, renewals, partners…): the ordered stages its deals move through."""

    key = models.SlugField(
        _("key"), max_length=40, blank=True
    )  # "default" for the one a workspace starts with
    name = models.CharField(_("name"), max_length=100, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    rotting_days = models.PositiveSmallIntegerField(
        _("rotting after (days)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(3650)],
        help_text=_("An open deal that has not changed stage for this many days is flagged as rotting."),
    )

    ENTITY: ClassVar[str] = "pipeline"
    BUILTIN_NAMES: ClassVar[dict[str, Any]] = {"default": DEFAULT_PIPELINE_NAME}

    objects = AliveManager.from_queryset(ScopedQuerySet)()  # type: ignore[misc,assignment]
    all_objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "key"], condition=~models.Q(key=""), name="pipeline_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Stage(BuiltinNamed, WorkspaceScoped, Versioned):
    """One step of a pipeline, with the chance (%) that a deal standing in it is won."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    key = models.SlugField(_("key"), max_length=40, blank=True)  # a built-in stage's key while unrenamed
    name = models.CharField(_("name"), max_length=100, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), default=0, validators=[MaxValueValidator(100)]
    )

    ENTITY: ClassVar[str] = "stage"
    BUILTIN_NAMES: ClassVar[dict[str, Any]] = {key: name for key, name, _chance in DEFAULT_STAGES}

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(probability__lte=100), name="stage_probability_0_100"),
        ]

    def __str__(self) -> str:
        return self.label


class LostReason(BuiltinNamed, WorkspaceScoped, Versioned):
    """Why deals are lost (an editable list; a lost deal names one)."""

    key = models.SlugField(_("key"), max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    ENTITY: ClassVar[str] = "lost_reason"
    BUILTIN_NAMES: ClassVar[dict[str, Any]] = dict(DEFAULT_LOST_REASONS)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "key"], condition=~models.Q(key=""), name="lost_reason_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Deal(WorkspaceScoped, Versioned, SoftDeletable):
    """A possible sale: its value, where it stands in a pipeline, and whether it was won or lost."""

    title = models.CharField(_("title"), max_length=200)
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals")
    status = models.CharField(_("status"), max_length=8, choices=DealStatus.choices, default=DealStatus.OPEN)
    amount = models.DecimalField(_("value"), max_digits=20, decimal_places=4, default=0)
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    expected_close = models.DateField(_("expected close date"), null=True, blank=True)
    owner = models.ForeignKey(
        "accounts.Membership",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    source = models.CharField(_("source"), max_length=100, blank=True)
    lost_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("lost reason"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lost_note = models.TextField(_("why it was lost"), blank=True, max_length=2000)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    stage_entered_at = models.DateTimeField(default=timezone.now, editable=False)

    ENTITY: ClassVar[str] = "deal"
    OWNER_FIELD: ClassVar[str | None] = "owner"
    AUDIT_EXCLUDE: ClassVar[frozenset[str]] = frozenset(
        {"version", "created_at", "updated_at", "stage_entered_at"}
    )

    objects = AliveManager.from_queryset(ScopedQuerySet)()  # type: ignore[misc,assignment]
    all_objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            models.Index(
                fields=["workspace", "pipeline", "status", "stage"],
                condition=models.Q(deleted_at__isnull=True),
                name="deal_board",
            ),
            models.Index(
                fields=["workspace", "owner"], condition=models.Q(deleted_at__isnull=True), name="deal_owner"
            ),
            models.Index(
                fields=["workspace", "expected_close"],
                condition=models.Q(deleted_at__isnull=True),
                name="deal_close_date",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="deal_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title


class DealStageEntry(models.Model):
    """One stay of a deal in a stage: when it came in and when it left (none while it is still there).
    The stage's name is kept, so the history outlives a deleted stage."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_entries")
    stage = models.ForeignKey(Stage, null=True, on_delete=models.SET_NULL, related_name="+")
    stage_name = models.CharField(max_length=100)
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["entered_at", "id"]
        indexes = [
            models.Index(fields=["deal", "entered_at"], name="deal_stage_entry_deal"),
            models.Index(fields=["workspace", "stage", "entered_at"], name="deal_stage_entry_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id} @ {self.stage_name}"
