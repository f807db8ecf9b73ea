"""People and companies a workspace deals with, their e-mails, phones, tags, notes and lifecycle list."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.contacts.choices import DEFAULT_LIFECYCLE, CompanyType, Consent, PreferredChannel
from peyvand.core.models import (
    AliveManager,
    BuiltinNamed,
    ScopedQuerySet,
    SoftDeletable,
    Versioned,
    WorkspaceScoped,
)
from peyvand.core.text import SORT_KEY_MAX_LENGTH

LIVE = models.Q(deleted_at__isnull=True)


class SortKeyField(models.CharField):
    """A stored collation key (ASCII `0-9 a-v !`): byte order on every database, "C" collation on
    PostgreSQL so an index serves ORDER BY whatever the cluster's locale."""

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class LifecycleStage(BuiltinNamed, WorkspaceScoped, Versioned):
    """One step of the workspace's editable lifecycle list (subscriber → … → customer → churned)."""

    key = models.SlugField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=60, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    ENTITY: ClassVar[str] = "lifecycle_stage"
    BUILTIN_NAMES: ClassVar[dict[str, Any]] = dict(DEFAULT_LIFECYCLE)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="lifecycle_key_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class Company(WorkspaceScoped, Versioned, SoftDeletable):
    """An organisation: customer, prospect, partner, supplier or competitor; people belong to it."""

    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    domain = models.CharField(_("domain"), max_length=253, blank=True)
    website = models.URLField(_("website"), max_length=500, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_revenue = models.DecimalField(
        _("annual revenue"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    company_type = models.CharField(
        _("type"), max_length=12, choices=CompanyType.choices, blank=True, default=CompanyType.NONE
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsidiaries",
    )
    owner = models.ForeignKey(
        "accounts.Membership",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    phones = models.JSONField(_("phones"), default=list, blank=True)
    addresses = models.JSONField(_("addresses"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    external_id = models.CharField(_("ID in another system"), max_length=100, blank=True)
    tags = models.ManyToManyField("core.Tag", through="CompanyTag", related_name="+", blank=True)
    name_normalized = models.CharField(max_length=200, editable=False, default="")
    sort_key = SortKeyField(max_length=SORT_KEY_MAX_LENGTH, editable=False, default="")
    search_text = models.TextField(editable=False, default="")

    ENTITY: ClassVar[str] = "company"
    OWNER_FIELD: ClassVar[str | None] = "owner"
    AUDIT_EXCLUDE: ClassVar[frozenset[str]] = frozenset(
        {"version", "created_at", "updated_at", "name_normalized", "sort_key", "search_text"}
    )

    objects = AliveManager.from_queryset(ScopedQuerySet)()  # type: ignore[misc,assignment]
    all_objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [
            models.Index(fields=["workspace", "sort_key", "id"], name="company_ws_sort", condition=LIVE),
            models.Index(fields=["workspace", "name_normalized"], name="company_ws_name", condition=LIVE),
            models.Index(fields=["workspace", "domain"], name="company_ws_domain", condition=LIVE),
            models.Index(fields=["workspace", "external_id"], name="company_ws_external", condition=LIVE),
            models.Index(
                fields=["workspace", "-updated_at", "-id"], name="company_ws_updated", condition=LIVE
            ),
            models.Index(
                fields=["workspace", "-created_at", "-id"], name="company_ws_created", condition=LIVE
            ),
            models.Index(
                fields=["workspace", "owner", "sort_key", "id"], name="company_ws_owner", condition=LIVE
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CompanyTag(models.Model):
    """A tag on a company."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey("core.Tag", on_delete=models.CASCADE, related_name="company_links")
    # The company's sort key, kept equal to it by the services (`sync_tag_sort_keys`): a tag's companies
    # in name order are then one index range, whatever the size of the tag or the table.
    sort_key = SortKeyField(max_length=SORT_KEY_MAX_LENGTH, editable=False, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "tag"], name="company_tag_once")]
        indexes = [models.Index(fields=["tag", "sort_key", "company"], name="company_tag_sorted")]

    def __str__(self) -> str:
        return f"{self.company_id}:{self.tag_id}"


class Contact(WorkspaceScoped, Versioned, SoftDeletable):
    """A person: a customer, a lead, someone at a company — with every way to reach them."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    display_name = models.CharField(_("name"), max_length=201, editable=False, default="")
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
    )
    owner = models.ForeignKey(
        "accounts.Membership",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The primary e-mail and phone, copied from ContactEmail/ContactPhone so lists need no join.
    email = models.CharField(_("e-mail"), max_length=254, blank=True, editable=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    anniversary = models.DateField(_("anniversary"), null=True, blank=True)
    birthday_md = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)  # month*100+day
    addresses = models.JSONField(_("addresses"), default=list, blank=True)
    website = models.URLField(_("website"), max_length=500, blank=True)
    social = models.JSONField(_("social profiles"), default=dict, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=8, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=12, choices=PreferredChannel.choices, blank=True
    )
    lifecycle_stage = models.ForeignKey(
        LifecycleStage,
        verbose_name=_("lifecycle stage"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=100, blank=True)
    email_consent = models.CharField(_("e-mail consent"), max_length=10, choices=Consent.choices, blank=True)
    email_consent_at = models.DateTimeField(_("e-mail consent given at"), null=True, blank=True)
    email_consent_source = models.CharField(_("e-mail consent given by"), max_length=200, blank=True)
    sms_consent = models.CharField(_("SMS consent"), max_length=10, choices=Consent.choices, blank=True)
    sms_consent_at = models.DateTimeField(_("SMS consent given at"), null=True, blank=True)
    sms_consent_source = models.CharField(_("SMS consent given by"), max_length=200, blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    external_id = models.CharField(_("ID in another system"), max_length=100, blank=True)
    tags = models.ManyToManyField("core.Tag", through="ContactTag", related_name="+", blank=True)
    name_normalized = models.CharField(max_length=201, editable=False, default="")
    sort_key = SortKeyField(max_length=SORT_KEY_MAX_LENGTH, editable=False, default="")
    search_text = models.TextField(editable=False, default="")

    ENTITY: ClassVar[str] = "contact"
    OWNER_FIELD: ClassVar[str | None] = "owner"
    AUDIT_EXCLUDE: ClassVar[frozenset[str]] = frozenset(
        {
            "version",
            "created_at",
            "updated_at",
            "name_normalized",
            "sort_key",
            "search_text",
            "birthday_md",
            "display_name",
            "email",
            "phone",
        }
    )

    objects = AliveManager.from_queryset(ScopedQuerySet)()  # type: ignore[misc,assignment]
    all_objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["workspace", "sort_key", "id"], name="contact_ws_sort", condition=LIVE),
            models.Index(fields=["workspace", "name_normalized"], name="contact_ws_name", condition=LIVE),
            models.Index(
                fields=["workspace", "-updated_at", "-id"], name="contact_ws_updated", condition=LIVE
            ),
            models.Index(
                fields=["workspace", "-created_at", "-id"], name="contact_ws_created", condition=LIVE
            ),
            models.Index(
                fields=["workspace", "owner", "sort_key", "id"], name="contact_ws_owner", condition=LIVE
            ),
            models.Index(
                fields=["workspace", "company", "sort_key"], name="contact_ws_company", condition=LIVE
            ),
            models.Index(
                fields=["workspace", "lifecycle_stage", "sort_key", "id"],
                name="contact_ws_stage",
                condition=LIVE,
            ),
            models.Index(fields=["workspace", "birthday_md"], name="contact_ws_birthday", condition=LIVE),
            models.Index(fields=["workspace", "email"], name="contact_ws_email", condition=LIVE),
            models.Index(fields=["workspace", "external_id"], name="contact_ws_external", condition=LIVE),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email or self.phone or f"#{self.pk}"


class ContactTag(models.Model):
    """A tag on a contact."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey("core.Tag", on_delete=models.CASCADE, related_name="contact_links")
    # The contact's sort key (see CompanyTag.sort_key): a page of a tag by name reads 50 index entries.
    sort_key = SortKeyField(max_length=SORT_KEY_MAX_LENGTH, editable=False, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "tag"], name="contact_tag_once")]
        indexes = [models.Index(fields=["tag", "sort_key", "contact"], name="contact_tag_sorted")]

    def __str__(self) -> str:
        return f"{self.contact_id}:{self.tag_id}"


class ContactEmail(models.Model):
    """One e-mail address of a contact; exactly one per contact is primary."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    email = models.CharField(_("e-mail"), max_length=254)
    email_normalized = models.CharField(max_length=254, editable=False)  # case-folded, for matching
    label = models.CharField(_("label"), max_length=20, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["workspace", "email_normalized"], name="contact_email_lookup")]
        constraints = [
            models.UniqueConstraint(fields=["contact", "email_normalized"], name="contact_email_once"),
        ]

    def __str__(self) -> str:
        return self.email


class ContactPhone(models.Model):
    """One phone number of a contact, stored as E.164; exactly one per contact is primary."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("phone"), max_length=20)
    label = models.CharField(_("label"), max_length=20, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["workspace", "number"], name="contact_phone_lookup")]
        constraints = [models.UniqueConstraint(fields=["contact", "number"], name="contact_phone_once")]

    def __str__(self) -> str:
        return self.number


class Note(WorkspaceScoped, Versioned, SoftDeletable):
    """A note written on a contact or a company; shown on its timeline."""

    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("note"), max_length=20000)

    ENTITY: ClassVar[str] = "note"
    OWNER_FIELD: ClassVar[str | None] = "author"

    objects = AliveManager.from_queryset(ScopedQuerySet)()  # type: ignore[misc,assignment]
    all_objects = ScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["contact", "-created_at"], name="note_contact_time"),
            models.Index(fields=["company", "-created_at"], name="note_company_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False) | models.Q(company__isnull=False),
                name="note_has_record",
            )
        ]

    def __str__(self) -> str:
        return self.body[:60]


class SavedView(WorkspaceScoped, Versioned):
    """A named list filter (query string: filters, order, columns) — private to its owner or shared; the
    segments that campaigns and reports use later."""

    class Entity(models.TextChoices):
        CONTACT = "contact", _("Contacts")
        COMPANY = "company", _("Companies")

    entity = models.CharField(_("record type"), max_length=20, choices=Entity.choices)
    name = models.CharField(_("name"), max_length=100)
    query = models.TextField(_("filter"), max_length=4000, blank=True)
    owner = models.ForeignKey(
        "accounts.Membership", verbose_name=_("owner"), on_delete=models.CASCADE, related_name="+"
    )
    shared = models.BooleanField(_("shared with the workspace"), default=False)

    ENTITY: ClassVar[str] = "saved_view"
    OWNER_FIELD: ClassVar[str | None] = "owner"

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["workspace", "entity", "shared"], name="saved_view_ws_entity")]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "entity", "owner", "name"],
                name="saved_view_name_unique",
                violation_error_message=_("You have a view with this name already."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Merge(WorkspaceScoped):
    """One record merged into another: what the merge changed, so restoring the merged record from the
    recycle bin undoes it."""

    entity = models.CharField(max_length=20)  # contact / company
    survivor_id = models.BigIntegerField()
    merged_id = models.BigIntegerField()
    actor = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fields_before = models.JSONField(default=dict)  # survivor field → value before the merge
    fields_after = models.JSONField(default=dict)  # survivor field → value the merge set
    added = models.JSONField(
        default=dict
    )  # rows created on the survivor: {"emails": [ids], "tags": [tag ids]}
    moved = models.JSONField(default=dict)  # rows moved from merged to survivor: {"notes": [ids], ...}
    created_at = models.DateTimeField(default=timezone.now)  # the same for every record of one merge
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "entity", "merged_id"], name="merge_by_merged"),
            models.Index(fields=["workspace", "entity", "survivor_id"], name="merge_by_survivor"),
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.merged_id} → {self.survivor_id}"


class ImportJob(WorkspaceScoped, Versioned):
    """One upload being imported: the file, how its columns map to fields, and progress and results."""

    class Status(models.TextChoices):
        MAPPING = "mapping", _("Waiting for the column mapping")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Policy(models.TextChoices):
        SKIP = "skip", _("Skip rows that match an existing record")
        UPDATE = "update", _("Update the matching record")
        CREATE = "create", _("Create a new record anyway")

    entity = models.CharField(_("record type"), max_length=20)
    created_by = models.ForeignKey(
        "accounts.Membership", null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    filename = models.CharField(_("file"), max_length=255)
    stored_name = models.CharField(max_length=255)  # under DATA_DIR/imports/
    size = models.PositiveBigIntegerField(default=0)
    format = models.CharField(max_length=8)  # csv / xlsx / vcf
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=2, blank=True)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=list, blank=True)  # one target per column, "" = ignored
    policy = models.CharField(
        _("when a row matches"), max_length=10, choices=Policy.choices, default=Policy.SKIP
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.MAPPING)
    total_rows = models.PositiveIntegerField(default=0)  # data rows of the file, counted as the run starts
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    resume_after = models.PositiveIntegerField(default=0)  # file row number handled last (resume point)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    ENTITY: ClassVar[str] = "import_job"
    OWNER_FIELD: ClassVar[str | None] = "created_by"

    class Meta:
        indexes = [models.Index(fields=["workspace", "-id"], name="import_job_ws")]

    def __str__(self) -> str:
        return self.filename


class ImportMapping(WorkspaceScoped):
    """A column mapping saved for reuse with files of the same layout (matched by their headers)."""

    entity = models.CharField(max_length=20)
    name = models.CharField(_("name"), max_length=100)
    headers_key = models.CharField(max_length=64)  # SHA-256 of the normalized header row
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=list)
    created_by = models.ForeignKey(
        "accounts.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "entity", "name"], name="import_mapping_name_unique")
        ]
        indexes = [models.Index(fields=["workspace", "entity", "headers_key"], name="import_mapping_layout")]

    def __str__(self) -> str:
        return self.name


class ImportedRow(models.Model):
    """A row already imported (by the fingerprint of its mapped values), so running an import again
    creates nothing new."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    entity = models.CharField(max_length=20)
    fingerprint = models.CharField(max_length=64)
    record_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "entity", "fingerprint"], name="imported_row_once")
        ]

    def __str__(self) -> str:
        return self.fingerprint
