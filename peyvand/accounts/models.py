"""Accounts: users, workspaces (tenants), memberships, teams, roles, invites and API tokens."""

from __future__ import annotations

import functools
import zoneinfo
from functools import cached_property
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from peyvand.core.calendars import CalendarSystem
from peyvand.core.models import AliveManager, ScopedQuerySet, SoftDeletable, Versioned, WorkspaceScoped


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    PERSIAN = "fa", "فارسی"
    THAI = "th", "ไทย"


class WeekStart(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


@functools.cache
def known_time_zones() -> frozenset[str]:
    """The IANA zone names (listing them scans the tz database on disk, so once per process)."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in known_time_zones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


def validate_country(value: str) -> None:
    import phonenumbers

    if value and value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(_("“%(value)s” is not a two-letter country code."), params={"value": value})


def validate_currency(value: str) -> None:
    from babel.numbers import list_currencies

    if value not in list_currencies():
        raise ValidationError(_("“%(value)s” is not an ISO 4217 currency code."), params={"value": value})


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser):
    """A person who signs in with an e-mail address and a password; belongs to workspaces via memberships."""

    email = models.EmailField(_("e-mail"), max_length=254, unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def display_name(self) -> str:
        return self.full_name or self.email


class Workspace(Versioned):
    """A tenant: one business's CRM. Every business row belongs to exactly one workspace."""

    name = models.CharField(_("name"), max_length=120)
    default_currency = models.CharField(
        _("default currency"), max_length=3, default="USD", validators=[validate_currency]
    )
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    calendar = models.CharField(
        _("calendar"), max_length=12, choices=CalendarSystem.choices, default=CalendarSystem.GREGORIAN
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    week_start = models.PositiveSmallIntegerField(
        _("week starts on"), choices=WeekStart.choices, default=WeekStart.MONDAY
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        validators=[validate_country],
        help_text=_("Phone numbers typed without a country code are read as numbers of this country."),
    )

    ENTITY: ClassVar[str] = "workspace"
    AUDIT_EXCLUDE: ClassVar[frozenset[str]] = frozenset({"version", "created_at", "updated_at"})

    def __str__(self) -> str:
        return self.name

    @property
    def workspace_id(self) -> int:
        """A workspace belongs to itself, so the generic audit and event helpers treat it like any row."""
        return self.pk


class TeamQuerySet(ScopedQuerySet):
    def within_scope(self, scope: str, member: Membership) -> ScopedQuerySet:
        """Own and team scopes both mean: the teams `member` is in."""
        if scope in ("own", "team"):
            return self.filter(pk__in=member.team_ids())
        return super().within_scope(scope, member)


class Team(WorkspaceScoped, Versioned, SoftDeletable):
    """A group of members (e.g. a regional sales team); `team` scopes in roles reach teammates' records."""

    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)

    ENTITY: ClassVar[str] = "team"

    objects = AliveManager.from_queryset(TeamQuerySet)()  # type: ignore[misc,assignment]
    all_objects = TeamQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "workspace", Lower("name"), condition=models.Q(deleted_at=None), name="team_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Role(WorkspaceScoped, Versioned, SoftDeletable):
    """What members with this role may do: per entity × action a scope, plus per-field rules."""

    key = models.SlugField(max_length=40, blank=True, help_text="Set for built-in roles.")
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)
    permissions = models.JSONField(default=dict, blank=True)
    field_rules = models.JSONField(default=dict, blank=True)
    is_locked = models.BooleanField(default=False, help_text="The Owner role cannot be edited or deleted.")

    ENTITY: ClassVar[str] = "role"

    objects = AliveManager.from_queryset(ScopedQuerySet)()  # type: ignore[misc,assignment]
    all_objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "workspace", Lower("name"), condition=models.Q(deleted_at=None), name="role_name_unique"
            ),
            models.UniqueConstraint(
                fields=["workspace", "key"], condition=~models.Q(key=""), name="role_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """A built-in role whose name was never changed shows in the reader's language."""
        from peyvand.accounts.policy import BUILTIN_ROLE_NAMES

        default = BUILTIN_ROLE_NAMES.get(self.key)
        if default is not None:
            with translation.override("en"):
                untouched = self.name == str(default)
            if untouched:
                return str(default)
        return self.name

    def scope(self, entity: str, action: str) -> str:
        return str(self.permissions.get(entity, {}).get(action, "none"))


class Membership(WorkspaceScoped, Versioned):
    """A user's place in a workspace: role, teams, language; the "member" every request acts as."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="memberships")
    teams = models.ManyToManyField(Team, blank=True, related_name="members")
    is_active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(_("language"), max_length=5, choices=Language.choices, blank=True)

    ENTITY: ClassVar[str] = "member"
    OWNER_FIELD: ClassVar[str | None] = "pk"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique")]
        indexes = [models.Index(fields=["user", "is_active"], name="membership_user_active")]

    def __str__(self) -> str:
        return str(self.user)

    @cached_property
    def _team_ids(self) -> list[int]:
        return list(self.teams.filter(deleted_at__isnull=True).values_list("pk", flat=True))

    def team_ids(self) -> list[int]:
        return self._team_ids

    @property
    def effective_language(self) -> str:
        return self.language or self.workspace.language

    def scope_for(self, entity: str, action: str) -> str:
        """This member's scope for `action` on `entity` (deny by default; an inactive member has none)."""
        if not self.is_active:
            return "none"
        return self.role.scope(entity, action)

    def may(self, action: str, record: Any = None, *, entity: str | None = None) -> bool:
        """Whether this member may do `action` on `record` (or on the entity at all if no record)."""
        from peyvand.accounts.policy import member_may

        return member_may(self, action, record, entity=entity)


class InviteQuerySet(ScopedQuerySet):
    def pending(self) -> InviteQuerySet:
        return self.filter(accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())  # type: ignore[return-value]


class Invite(WorkspaceScoped):
    """An invitation to join a workspace, sent by e-mail as a link that expires."""

    email = models.EmailField(_("e-mail"))
    role = models.ForeignKey(Role, null=True, on_delete=models.SET_NULL, related_name="+")
    teams = models.ManyToManyField(Team, blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    ENTITY: ClassVar[str] = "invite"
    OWNER_FIELD: ClassVar[str | None] = "invited_by"

    objects = InviteQuerySet.as_manager()  # type: ignore[misc,assignment]

    def __str__(self) -> str:
        return self.email

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


token_name_validator = RegexValidator(r"^[^\x00-\x1f]+$", _("Use printable characters only."))


class ApiToken(WorkspaceScoped):
    """A personal API token bound to one membership; only its SHA-256 is stored."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("name"), max_length=80, validators=[token_name_validator])
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    ENTITY: ClassVar[str] = "token"
    OWNER_FIELD: ClassVar[str | None] = "membership"
    AUDIT_EXCLUDE: ClassVar[frozenset[str]] = frozenset({"key_hash", "last_used_at", "created_at"})

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
