"""Turning mapped rows into contacts and companies, a batch at a time.

`RowCleaner` reads one row (cells + mapping) into clean values or problems (row, column, reason) — the same
validators the forms and the API use. `apply_batch` then matches the clean rows against existing records
(ID in the other system, e-mail, phone, name at the same company; and rows already imported, by
fingerprint), applies the duplicate policy, and writes new records in bulk with their derived columns,
e-mails, phones, tags, notes, audit entries and one `contact.imported` / `company.imported` event per batch.
A bad row never stops the others; a row is written whole or not at all.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Membership
from peyvand.contacts import services
from peyvand.contacts.choices import DEFAULT_LIFECYCLE, CompanyType, Consent
from peyvand.contacts.importing.mapping import column_label
from peyvand.contacts.models import (
    Company,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactTag,
    ImportedRow,
    LifecycleStage,
    Note,
)
from peyvand.core import calendars, customfields
from peyvand.core.audit import snapshot
from peyvand.core.bulk import insert_objects, insert_rows
from peyvand.core.contactpoints import normalize_domain, normalize_email, normalize_phone
from peyvand.core.context import current_channel
from peyvand.core.errors import DomainError, ValidationFailedError
from peyvand.core.events import emit
from peyvand.core.models import AuditEntry, CustomField
from peyvand.core.tags import tags_find_or_create
from peyvand.core.text import normalize, to_ascii_digits

YES = {"1", "true", "yes", "y", "granted", "opt-in", "opted in", "بله", "آری", "ใช่", "จริง", "ยินยอม"}
NO = {"0", "false", "no", "n", "withdrawn", "opt-out", "opted out", "خیر", "نه", "ไม่", "ไม่ใช่", "เท็จ"}
TAG_SPLIT = re.compile(r"\s*[;,،]\s*")
ADDRESS_TARGETS = ("street", "city", "region", "postal_code", "country")
SOCIAL_TARGETS = ("telegram", "instagram", "whatsapp", "line", "linkedin")


@dataclass
class Problem:
    row: int
    column: str
    value: str
    reason: str
    severity: str = "error"  # error (row not imported) / warning (imported, this value was not)


@dataclass
class CleanRow:
    number: int
    values: dict[str, Any]
    fingerprint: str
    company_name: str = ""
    tags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pending_phones: list[tuple[str, str, str]] = field(default_factory=list)  # (column, typed, label)
    columns: dict[str, str] = field(default_factory=dict)  # target → the first column that filled it


def parse_any_date(text: str, language: str) -> datetime.date:
    """ISO dates (also with a time) first, then Jalali (year < 1700) or Buddhist-era (year > 2400) dates,
    then day-first dates; Persian, Arabic-Indic and Thai digits are fine."""
    value = to_ascii_digits(text).strip()
    match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$", value)
    if match:
        year, month, day = (int(g) for g in match.groups())
        if 1700 <= year <= 2400:
            return datetime.date(year, month, day)
    for calendar in ("jalali", "buddhist", "gregorian"):
        try:
            return calendars.parse_date(value, calendars.make_format(language=language, calendar=calendar))
        except ValueError:
            continue
    raise ValueError(_("“%(value)s” is not a date.") % {"value": text})


def _yes_no(text: str) -> bool | None:
    value = normalize(text)
    if value in YES:
        return True
    if value in NO:
        return False
    return None


_NEUTRALIZED = frozenset(f"'{c}" for c in "=+-@\t\r＝＋－＠")


def _consent_words() -> dict[str, bool]:
    """The consent states as exports and people write them, in every interface language."""
    from django.utils import translation

    words = {}
    for language in ("en", "fa", "th"):
        with translation.override(language):
            words[normalize(str(Consent.GRANTED.label))] = True
            words[normalize(str(Consent.WITHDRAWN.label))] = False
    return words


class RowCleaner:
    """Reads the rows of one file for one member; members, stages and custom fields are looked up once."""

    def __init__(
        self, actor: Membership, entity: str, headers: Sequence[str], mapping: Sequence[str]
    ) -> None:
        self.actor = actor
        self.entity = entity
        self.region = actor.workspace.country or ""
        self.language = actor.effective_language
        self.columns = [
            (i, target, headers[i] if i < len(headers) else "") for i, target in enumerate(mapping) if target
        ]
        self.definitions: dict[str, CustomField] = {
            d.key: d for d in customfields.definitions(actor.workspace_id, entity)
        }
        members = Membership.objects.filter(workspace_id=actor.workspace_id, is_active=True).select_related(
            "user"
        )
        self.members: dict[str, Membership] = {}
        for member in members:
            self.members[member.user.email.casefold()] = member
            if member.user.full_name:
                self.members.setdefault(normalize(member.user.full_name), member)
        self.stages: dict[str, LifecycleStage] = {}
        if entity == "contact":
            services.lifecycle_ensure_defaults(actor.workspace_id)
            labels = dict(DEFAULT_LIFECYCLE)
            for stage in LifecycleStage.objects.filter(workspace_id=actor.workspace_id):
                self.stages[normalize(stage.key)] = stage
                self.stages[normalize(stage.label)] = stage
                if stage.key in labels:
                    self.stages.setdefault(normalize(str(labels[stage.key])), stage)
        self.consent_words = _consent_words()
        self.company_types = {normalize(str(label)): value for value, label in CompanyType.choices if value}
        self.company_types.update({normalize(value): value for value in CompanyType.values if value})

    def _regions(self, values: dict[str, Any]) -> list[str]:
        """The workspace's country first, then the country the row's script points to (a Thai name with a
        national number in an Iranian workspace is a Thai number)."""
        regions = [self.region] if self.region else []
        text = " ".join(str(values.get(k, "")) for k in ("first_name", "last_name", "full_name", "name"))
        for hint, pattern in (("TH", _THAI), ("IR", _ARABIC)):
            if pattern.search(text) and hint not in regions:
                regions.append(hint)
        return regions or [""]

    def clean(self, number: int, cells: Sequence[str]) -> tuple[CleanRow | None, list[Problem]]:
        problems: list[Problem] = []
        if not cells:
            return None, [Problem(number, "", "", _("This row could not be read (broken quoting?)."))]
        values: dict[str, Any] = {}
        emails: list[dict[str, Any]] = []
        phones: list[dict[str, Any]] = []
        address: dict[str, str] = {}
        social: dict[str, str] = {}
        custom: dict[str, Any] = {}
        row = CleanRow(number, values, "")
        mapped = []

        def fail(column: str, value: str, reason: str, severity: str = "error") -> None:
            problems.append(Problem(number, column, value[:200], reason, severity))

        for index, target, header in self.columns:
            raw = cells[index].strip() if index < len(cells) else ""
            if raw[:2] in _NEUTRALIZED:  # a formula-safe cell of an export: '+98912…, '=…
                raw = raw[1:]
            mapped.append(raw)
            if not raw:
                continue
            row.columns.setdefault(target, header)
            try:
                self._one(target, raw, header, values, emails, phones, address, social, custom, row)
            except ValidationError as error:
                fail(header, raw, " ".join(str(m) for m in error.messages))
            except (ValueError, DomainError) as error:
                fail(header, raw, str(getattr(error, "message", None) or error))
            except _Warning as warning:
                fail(header, raw, str(warning), "warning")
        regions = self._regions(values)
        for column, typed, label in row.pending_phones:
            try:
                e164 = _phone_in(typed, regions)
            except ValidationError as error:
                fail(column, typed, " ".join(str(m) for m in error.messages))
                continue
            if e164 not in {p["number"] for p in phones}:
                phones.append({"number": e164, "label": label, "is_primary": False})
        if emails:
            services._one_primary(emails)
            values["emails"] = emails
        if phones:
            services._one_primary(phones)
            values["phones"] = phones
        if any(address.values()):
            values["addresses"] = [{"label": "", **{k: address.get(k, "") for k in ADDRESS_TARGETS}}]
        if social:
            values["social"] = social
        if custom:
            values["custom"] = custom
        if self.entity == "contact":
            full = values.pop("full_name", "")
            if full and not (values.get("first_name") or values.get("last_name")):
                first, _sep, last = full.partition(" ")
                values["first_name"], values["last_name"] = first, last
                row.columns.setdefault("first_name", row.columns.get("full_name", ""))
                row.columns.setdefault("last_name", row.columns.get("full_name", ""))
            if not (values.get("first_name") or values.get("last_name") or emails or phones):
                fail("", "", _("A contact needs a name, an e-mail address or a phone number."))
        elif not values.get("name"):
            fail("", "", _("A company needs a name."))
        for definition in self.definitions.values():
            if definition.required and custom.get(definition.key) is None:
                fail(definition.label, "", _("This field is required."))
        if any(p.severity == "error" for p in problems):
            return None, problems
        row.fingerprint = hashlib.sha256(
            json.dumps([self.entity, mapped], ensure_ascii=False).encode()
        ).hexdigest()
        return row, problems

    def _one(
        self,
        target: str,
        raw: str,
        header: str,
        values: dict[str, Any],
        emails: list[dict[str, Any]],
        phones: list[dict[str, Any]],
        address: dict[str, str],
        social: dict[str, str],
        custom: dict[str, Any],
        row: CleanRow,
    ) -> None:
        text = " ".join(raw.split())
        if target.startswith("custom."):
            definition = self.definitions.get(target[len("custom.") :])
            if definition is None:
                raise ValueError(_("Unknown custom field."))
            cleaned = customfields.clean_value(definition, raw, region=self.region)
            if cleaned is not None:
                custom[definition.key] = cleaned
        elif target == "email":
            for part in TAG_SPLIT.split(raw):
                if part.strip():
                    email = normalize_email(part)
                    if email.casefold() not in {e["email"].casefold() for e in emails}:
                        emails.append({"email": email, "label": column_label(header), "is_primary": False})
        elif target in ("phone", "mobile"):
            # Parsed after the whole row is read: the names hint at the country of a national number.
            for part in re.split(r"\s*[;,،]\s*", raw):
                if part.strip():
                    label = "mobile" if target == "mobile" else column_label(header)
                    row.pending_phones.append((header, part.strip(), label))
        elif target in ("birthday", "anniversary"):
            values[target] = parse_any_date(raw, self.language)
        elif target == "owner":
            member = self.members.get(raw.casefold()) or self.members.get(normalize(raw))
            if member is None:
                raise _Warning(_("No active member is called this; you are the owner instead."))
            values["owner"] = member
        elif target == "lifecycle_stage":
            stage = self.stages.get(normalize(raw))
            if stage is None:
                raise _Warning(_("Not in the lifecycle list; left empty."))
            values["lifecycle_stage"] = stage
        elif target in ("email_consent", "sms_consent"):
            answer = _yes_no(raw)
            if answer is None:
                answer = self.consent_words.get(normalize(raw))
            if answer is None:
                raise ValueError(_("Enter yes or no."))
            values[target] = Consent.GRANTED if answer else Consent.WITHDRAWN
        elif target == "email_opt_out":
            answer = _yes_no(raw)
            if answer is None:
                raise ValueError(_("Enter yes or no."))
            if answer:
                values["email_consent"] = Consent.WITHDRAWN
        elif target in ADDRESS_TARGETS:
            address[target] = text[:200]
        elif target in SOCIAL_TARGETS:
            social[target] = raw.strip()[:200]
        elif target == "tags":
            row.tags.extend(t for t in TAG_SPLIT.split(text) if t)
        elif target == "note":
            row.notes.append(raw[:20000])
        elif target == "company":
            row.company_name = text[:200]
        elif target == "employees":
            values["employees"] = int(float(to_ascii_digits(text).replace(",", "")))
        elif target == "annual_revenue":
            values["annual_revenue"] = to_ascii_digits(text).replace(",", "")
        elif target == "company_type":
            values["company_type"] = self.company_types.get(normalize(text.split(" - ")[0]), "")
        elif target == "domain":
            values["domain"] = normalize_domain(text)
        elif target == "website":
            values["website"] = services.clean_website(text)
        elif target == "preferred_language":
            values["preferred_language"] = text[:8]
        else:  # plain text fields: names, job title, source, external id, industry, legal name, description
            limits = {
                "external_id": 100,
                "first_name": 100,
                "last_name": 100,
                "full_name": 201,
                "source": 100,
            }
            values[target] = text[: limits.get(target, 200)]


_THAI = re.compile("[\u0e00-\u0e7f]")
_ARABIC = re.compile("[\u0600-\u06ff]")
_DIGIT_REGION = (("TH", re.compile("[\u0e50-\u0e59]")), ("IR", re.compile("[\u06f0-\u06f9\u0660-\u0669]")))


def _phone_in(raw: str, regions: list[str]) -> str:
    """E.164 of a typed number, trying the likely countries in turn (Thai digits point to Thailand,
    Persian and Arabic-Indic digits to Iran); the first country's error if none fits."""
    candidates = list(regions)
    for hint, pattern in _DIGIT_REGION:
        if pattern.search(raw) and hint not in candidates:
            candidates.insert(1 if candidates and candidates[0] else 0, hint)
    first_error: ValidationError | None = None
    for region in candidates:
        try:
            return normalize_phone(raw, region)
        except ValidationError as error:
            first_error = first_error or error
    assert first_error is not None
    raise first_error


class _Warning(Exception):
    """A value that is left out while the row is imported."""


# ------------------------------------------------------------------------------------------ applying


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)


class CompanyFinder:
    """Companies named in a contact file, found by normalized name or created (once per name)."""

    def __init__(self, actor: Membership) -> None:
        self.actor = actor
        self.cache: dict[str, Company] = {}

    def resolve(self, names: set[str]) -> None:
        """Find the named companies; create the missing ones in one go (audited, `company.imported`)."""
        wanted = {normalize(n): " ".join(n.split()) for n in names if n and normalize(n) not in self.cache}
        if not wanted:
            return
        for company in Company.objects.filter(
            workspace_id=self.actor.workspace_id, name_normalized__in=list(wanted)
        ):
            self.cache.setdefault(company.name_normalized, company)
        missing = [name for key, name in wanted.items() if key not in self.cache]
        if not missing or not self.actor.may("create", entity="company"):
            return
        now = timezone.now()
        defs = customfields.definitions(self.actor.workspace_id, "company")
        created = []
        for name in missing:
            company = Company(
                workspace_id=self.actor.workspace_id,
                name=name[:200],
                owner=self.actor,
                created_at=now,
                updated_at=now,
            )
            services.company_derive(company, language=self.actor.workspace.language, defs=defs)
            created.append(company)
        insert_objects(Company, created)
        _audit_created(self.actor, "company", created, now)
        emit(self.actor.workspace_id, "company.imported", created[0], {"ids": [c.pk for c in created]})
        for company in created:
            self.cache[company.name_normalized] = company

    def get(self, name: str) -> Company | None:
        return self.cache.get(normalize(name)) if name else None


def _matches(actor: Membership, entity: str, rows: list[CleanRow]) -> dict[int, int]:
    """Row number → id of an existing record it matches: external id, e-mail or phone (companies: external
    id, domain or name)."""
    found: dict[int, int] = {}
    model: Any = Contact if entity == "contact" else Company
    alive = model.objects.filter(workspace_id=actor.workspace_id)
    external = {r.values["external_id"]: r.number for r in rows if r.values.get("external_id")}
    for record_id, external_id in alive.filter(external_id__in=list(external)).values_list(
        "pk", "external_id"
    ):
        found.setdefault(external[external_id], record_id)
    if entity == "company":
        domains = {
            r.values["domain"]: r.number for r in rows if r.values.get("domain") and r.number not in found
        }
        for record_id, domain in alive.filter(domain__in=list(domains)).values_list("pk", "domain"):
            found.setdefault(domains[domain], record_id)
        names = {normalize(r.values["name"]): r.number for r in rows if r.number not in found}
        for record_id, name in alive.filter(name_normalized__in=list(names)).values_list(
            "pk", "name_normalized"
        ):
            found.setdefault(names[name], record_id)
        return found
    emails: dict[str, int] = {}
    phones: dict[str, int] = {}
    for r in rows:
        for e in r.values.get("emails", []):
            emails.setdefault(e["email"].casefold(), r.number)
        for p in r.values.get("phones", []):
            phones.setdefault(p["number"], r.number)
    for contact_id, email in ContactEmail.objects.filter(
        workspace_id=actor.workspace_id, email_normalized__in=list(emails), contact__deleted_at__isnull=True
    ).values_list("contact_id", "email_normalized"):
        found.setdefault(emails[email], contact_id)
    for contact_id, number in ContactPhone.objects.filter(
        workspace_id=actor.workspace_id, number__in=list(phones), contact__deleted_at__isnull=True
    ).values_list("contact_id", "number"):
        found.setdefault(phones[number], contact_id)
    return found


def apply_batch(
    actor: Membership, entity: str, rows: list[CleanRow], policy: str, companies: CompanyFinder, source: str
) -> BatchResult:
    """Write one batch (inside the caller's transaction). See the module docstring."""
    result = BatchResult()
    if not rows:
        return result
    done = dict(
        ImportedRow.objects.filter(
            workspace_id=actor.workspace_id, entity=entity, fingerprint__in=[r.fingerprint for r in rows]
        ).values_list("fingerprint", "record_id")
    )
    model: Any = Contact if entity == "contact" else Company
    alive_done = set(model.objects.filter(pk__in=list(done.values())).values_list("pk", flat=True))
    fresh: list[CleanRow] = []
    seen: set[str] = set()
    for row in rows:
        if done.get(row.fingerprint) in alive_done or row.fingerprint in seen:
            result.skipped += 1  # this very row was imported before (or twice in this file)
        else:
            seen.add(row.fingerprint)
            fresh.append(row)
    matches = _matches(actor, entity, fresh) if policy != "create" else {}
    if entity == "contact":
        companies.resolve({r.company_name for r in fresh if r.company_name})
    to_create: list[CleanRow] = []
    fingerprints: list[tuple[int, str, str, int]] = []
    for row in fresh:
        match = matches.get(row.number)
        if match is None:
            to_create.append(row)
        elif policy == "skip":
            result.skipped += 1
        else:
            try:
                _update(actor, entity, match, row, companies)
                result.updated += 1
                fingerprints.append((actor.workspace_id, entity, row.fingerprint, match))
            except DomainError as error:
                result.problems.append(Problem(row.number, "", "", _problem_text(error)))
    created = _create(actor, entity, to_create, companies, source, result)
    fingerprints.extend((actor.workspace_id, entity, row.fingerprint, record.pk) for row, record in created)
    insert_rows(
        ImportedRow,
        ["workspace", "entity", "fingerprint", "record_id"],
        fingerprints,
        ignore_conflicts=True,
    )
    return result


def _field_problems(model: Any, row: CleanRow, error: DomainError) -> list[Problem]:
    """A record the row makes fails a field's check: one problem per field, under the column it came from
    (a contact's `email` is its first e-mail address), or the field's name when no column filled it."""
    if not error.fields:
        return [Problem(row.number, "", "", _problem_text(error))]
    problems = []
    for name, messages in error.fields.items():
        value = row.values.get(name, "")
        if name in ("email", "phone") and not value:
            points = row.values.get(f"{name}s") or [{}]
            value = points[0].get("email" if name == "email" else "number", "")
        column = row.columns.get(name) or row.columns.get("mobile" if name == "phone" else name)
        if not column:
            try:
                column = str(model._meta.get_field(name).verbose_name)
            except FieldDoesNotExist:
                column = ""
        problems.append(Problem(row.number, column, str(value)[:200], " ".join(map(str, messages))))
    return problems


def _problem_text(error: DomainError) -> str:
    details = "; ".join(
        f"{name}: {' '.join(map(str, messages))}" for name, messages in (error.fields or {}).items()
    )
    return details or str(error.message)


def _update(actor: Membership, entity: str, record_id: int, row: CleanRow, companies: CompanyFinder) -> None:
    """Fill the matching record with the row's non-empty values (lists are added to, not replaced)."""
    if entity == "contact":
        contact = Contact.objects.select_related("company").get(pk=record_id)
        if not actor.may("change", contact):
            raise ValidationFailedError(_("You may not change the contact this row matches."))
        changes = dict(row.values)
        emails, phones = services._ordered_points(contact)
        if "emails" in changes:
            known = {e.casefold() for e in emails}
            changes["emails"] = [{"email": e, "is_primary": i == 0} for i, e in enumerate(emails)] + [
                {**e, "is_primary": False} for e in changes["emails"] if e["email"].casefold() not in known
            ]
        if "phones" in changes:
            changes["phones"] = [{"number": p, "is_primary": i == 0} for i, p in enumerate(phones)] + [
                {**p, "is_primary": False} for p in changes["phones"] if p["number"] not in phones
            ]
        if row.company_name and companies.get(row.company_name):
            changes["company"] = companies.get(row.company_name)
        if row.tags:
            changes["tags"] = [t.name for t in contact.tags.all()] + row.tags
        if not actor.may("assign", entity="contact"):
            changes.pop("owner", None)
        services.contact_update(actor=actor, contact=contact, changes=changes)
        for text in row.notes:
            services.note_create(actor=actor, body=text, contact=contact)
    else:
        company = Company.objects.get(pk=record_id)
        if not actor.may("change", company):
            raise ValidationFailedError(_("You may not change the company this row matches."))
        changes = dict(row.values)
        if "phones" in changes:
            numbers = [p["number"] for p in company.phones]
            changes["phones"] = company.phones + [p for p in changes["phones"] if p["number"] not in numbers]
        if row.tags:
            changes["tags"] = [t.name for t in company.tags.all()] + row.tags
        if not actor.may("assign", entity="company"):
            changes.pop("owner", None)
        services.company_update(actor=actor, company=company, changes=changes)
        for text in row.notes:
            services.note_create(actor=actor, body=text, company=company)


def _audit_created(actor: Membership, entity: str, records: list[Any], now: datetime.datetime) -> None:
    """One creation entry per record, written in bulk (the same content audit_create writes)."""
    channel = current_channel()
    label = str(actor.user)[:254]
    insert_rows(
        AuditEntry,
        [
            "workspace",
            "actor",
            "actor_label",
            "channel",
            "action",
            "entity",
            "record_id",
            "record_label",
            "changes",
            "created_at",
        ],
        (
            (
                actor.workspace_id,
                actor.pk,
                label,
                channel,
                AuditEntry.Action.CREATE,
                entity,
                str(record.pk),
                str(record)[:200],
                {
                    name: [None, value]
                    for name, value in snapshot(record).items()
                    if value not in (None, "", [], {})
                },
                now,
            )
            for record in records
        ),
    )


# Columns an import always fills, from its own lookups (the references: validating them again would cost a
# query per row and field) or derivations (built within their limits).
_KNOWN = frozenset(
    {"workspace", "company", "parent", "owner", "lifecycle_stage", "name_normalized", "sort_key"}
)


def _check(record: Any, filled: Any) -> None:
    """Django's validation of the fields a row filled (each one's length, choices and format), plus the
    copies a contact keeps of its name, e-mail and phone. The other fields hold their defaults."""
    checked = {*filled, "display_name", "email", "phone"} - _KNOWN
    exclude = [f.name for f in record._meta.fields if f.name not in checked]
    try:
        record.clean_fields(exclude=exclude)
    except ValidationError as error:
        raise ValidationFailedError.from_django(error) from error


def _create(
    actor: Membership,
    entity: str,
    rows: list[CleanRow],
    companies: CompanyFinder,
    source: str,
    result: BatchResult,
) -> list[tuple[CleanRow, Any]]:
    """New records in bulk, each validated like a form would be; a row that fails is reported alone."""
    if not rows:
        return []
    now = timezone.now()
    language = actor.workspace.language
    defs = customfields.definitions(actor.workspace_id, entity)
    ready: list[tuple[CleanRow, Any]] = []
    tag_names: set[str] = set()
    for row in rows:
        values = dict(row.values)
        values.setdefault("owner", actor)
        if values["owner"] != actor and not actor.may("assign", entity=entity):
            values["owner"] = actor
        try:
            if entity == "contact":
                emails = values.pop("emails", [])
                phones = values.pop("phones", [])
                values.pop("custom", None)
                for kind in ("email", "sms"):
                    if values.get(f"{kind}_consent") == Consent.GRANTED:
                        values[f"{kind}_consent_at"] = now
                        values[f"{kind}_consent_source"] = source
                record: Any = Contact(
                    workspace_id=actor.workspace_id, created_at=now, updated_at=now, **values
                )
                record.custom = row.values.get("custom", {})
                company = companies.get(row.company_name)
                record.company = company
                services.contact_derive(
                    record,
                    emails=services._primary_first(emails, "email"),
                    phones=services._primary_first(phones, "number"),
                    company_name=company.name if company else "",
                    language=language,
                    defs=defs,
                )
                record._import_points = (emails, phones)
                _check(record, values)
            else:
                values.pop("custom", None)
                if values.get("website") and not values.get("domain"):
                    values["domain"] = normalize_domain(values["website"])
                if "phones" in values:
                    services._one_primary(values["phones"])
                record = Company(workspace_id=actor.workspace_id, created_at=now, updated_at=now, **values)
                record.custom = row.values.get("custom", {})
                services.company_derive(record, language=language, defs=defs)
                _check(record, values)
        except DomainError as error:
            result.problems.extend(_field_problems(Contact if entity == "contact" else Company, row, error))
            continue
        ready.append((row, record))
        tag_names.update(row.tags)
    if not ready:
        return []
    model: Any = Contact if entity == "contact" else Company
    insert_objects(model, [record for _row, record in ready])
    workspace_id = actor.workspace_id
    if entity == "contact":
        insert_rows(
            ContactEmail,
            ["workspace", "contact", "email", "email_normalized", "label", "is_primary", "position"],
            (
                (workspace_id, record.pk, e["email"], e["email"].casefold(), e["label"], e["is_primary"], i)
                for _row, record in ready
                for i, e in enumerate(record._import_points[0])
            ),
        )
        insert_rows(
            ContactPhone,
            ["workspace", "contact", "number", "label", "is_primary", "position"],
            (
                (workspace_id, record.pk, p["number"], p["label"], p["is_primary"], i)
                for _row, record in ready
                for i, p in enumerate(record._import_points[1])
            ),
        )
    if tag_names:
        tags = {t.name_normalized: t for t in tags_find_or_create(actor=actor, names=sorted(tag_names))}
        through: Any = ContactTag if entity == "contact" else Company.tags.through
        links = {
            (record.pk, tags[normalize(" ".join(name.split()))].pk, record.sort_key)
            for row, record in ready
            for name in row.tags
            if normalize(" ".join(name.split())) in tags
        }
        insert_rows(through, [entity, "tag", "sort_key"], sorted(links))
    Note.objects.bulk_create(
        Note(
            workspace_id=actor.workspace_id,
            author=actor,
            body=text,
            created_at=now,
            updated_at=now,
            **({"contact": record} if entity == "contact" else {"company": record}),
        )
        for row, record in ready
        for text in row.notes
    )
    _audit_created(actor, entity, [record for _row, record in ready], now)
    emit(
        actor.workspace_id, f"{entity}.imported", ready[0][1], {"ids": [record.pk for _row, record in ready]}
    )
    result.created += len(ready)
    return ready
