"""Likely duplicates: the same e-mail, the same phone (E.164), or the same name (normalized, any word order)
at the same company or e-mail domain. Used before saving (create, edit, import) and by the duplicates screen.

Every lookup starts from `contacts_visible_to(member)`: nobody learns of a record they may not see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from peyvand.accounts.models import Membership
from peyvand.accounts.policy import hidden_fields
from peyvand.contacts.access import companies_visible_to, contacts_visible_to
from peyvand.contacts.models import Company, Contact, ContactEmail, ContactPhone
from peyvand.core.contactpoints import normalize_domain, normalize_phone
from peyvand.core.text import normalize

SCORE_EMAIL = 95
SCORE_PHONE = 90
SCORE_NAME_COMPANY = 80
SCORE_NAME_DOMAIN = 70
SCORE_COMPANY_DOMAIN = 90
SCORE_COMPANY_NAME = 85


@dataclass
class Candidate:
    record: Any
    score: int
    reasons: list[str] = field(default_factory=list)

    def add(self, score: int, reason: str) -> None:
        # Several independent signals make a duplicate more certain, never more than 100.
        self.score = min(100, max(self.score, score) + (5 if self.reasons else 0))
        self.reasons.append(reason)


def name_key(name: str) -> str:
    """Names equal whatever the word order, spacing and spelling variant (`رضایی علی` = `علي رضايي`)."""
    return " ".join(sorted(normalize(name).split()))


def _domain(email: str) -> str:
    return email.rpartition("@")[2].casefold()


FREE_MAIL = frozenset(
    {
        "gmail.com",
        "yahoo.com",
        "outlook.com",
        "hotmail.com",
        "icloud.com",
        "mail.com",
        "yandex.com",
        "live.com",
        "proton.me",
        "protonmail.com",
        "chmail.ir",
        "yahoo.co.th",
        "hotmail.co.th",
    }
)


def contact_duplicates(
    member: Membership,
    *,
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    name: str = "",
    company_id: int | None = None,
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[Candidate]:
    """Contacts the member can see that look like the one described (phones already E.164). Best first."""
    visible = contacts_visible_to(member)
    if exclude_id is not None:
        visible = visible.exclude(pk=exclude_id)
    found: dict[int, Candidate] = {}

    def hit(contact: Contact, score: int, reason: str) -> None:
        found.setdefault(contact.pk, Candidate(contact, 0)).add(score, reason)

    email_keys = {e.strip().casefold() for e in emails if e and e.strip()}
    if email_keys:
        matches = ContactEmail.objects.filter(
            workspace_id=member.workspace_id, email_normalized__in=email_keys, contact__in=visible
        ).select_related("contact")
        for row in matches[:50]:
            hit(row.contact, SCORE_EMAIL, "email")
    phone_keys = {p for p in phones if p}
    if phone_keys:
        phone_matches = ContactPhone.objects.filter(
            workspace_id=member.workspace_id, number__in=phone_keys, contact__in=visible
        ).select_related("contact")
        for phone_row in phone_matches[:50]:
            hit(phone_row.contact, SCORE_PHONE, "phone")
    key = name_key(name)
    if key:
        normalized = normalize(name)
        reversed_name = " ".join(reversed(normalized.split()))
        same_name = visible.filter(name_normalized__in={normalized, reversed_name, key})
        if company_id is not None:
            for contact in same_name.filter(company_id=company_id)[:50]:
                hit(contact, SCORE_NAME_COMPANY, "name_company")
        domains = {_domain(e) for e in email_keys} - FREE_MAIL
        if domains:
            domain_match = Q()
            for domain in domains:
                domain_match |= Q(email__iendswith=f"@{domain}")
            for contact in same_name.filter(domain_match)[:50]:
                hit(contact, SCORE_NAME_DOMAIN, "name_domain")
    return sorted(found.values(), key=lambda c: (-c.score, c.record.pk))[:limit]


def company_duplicates(
    member: Membership, *, name: str = "", domain: str = "", exclude_id: int | None = None, limit: int = 5
) -> list[Candidate]:
    """Companies with the same domain or the same normalized name."""
    visible = companies_visible_to(member)
    if exclude_id is not None:
        visible = visible.exclude(pk=exclude_id)
    found: dict[int, Candidate] = {}
    if domain:
        for company in visible.filter(domain=domain.casefold())[:50]:
            found.setdefault(company.pk, Candidate(company, 0)).add(SCORE_COMPANY_DOMAIN, "domain")
    if name and normalize(name):
        for company in visible.filter(name_normalized=normalize(name))[:50]:
            found.setdefault(company.pk, Candidate(company, 0)).add(SCORE_COMPANY_NAME, "name")
    return sorted(found.values(), key=lambda c: (-c.score, c.record.pk))[:limit]


def typed_contact_duplicates(
    member: Membership,
    *,
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    name: str = "",
    company_id: int | None = None,
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[Candidate]:
    """`contact_duplicates` for what someone typed (a form, an API query): phones in any digits, national
    ones read for the workspace's country (what is not a number is skipped). Nothing the member's role hides
    is compared, so a hidden e-mail, phone, name or company cannot be probed."""
    hidden = hidden_fields(member, "contact")
    numbers = []
    for raw in phones:
        try:
            numbers.append(normalize_phone(raw, member.workspace.country))
        except ValidationError:
            continue
    return contact_duplicates(
        member,
        emails=[] if "emails" in hidden else [e for e in emails if e],
        phones=[] if "phones" in hidden else numbers,
        name="" if {"first_name", "last_name"} & hidden else name,
        company_id=None if "company" in hidden else company_id,
        exclude_id=exclude_id,
        limit=limit,
    )


def typed_company_duplicates(
    member: Membership,
    *,
    name: str = "",
    domain: str = "",
    website: str = "",
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[Candidate]:
    """`company_duplicates` for what someone typed: the domain as written or taken from the website
    (`https://www.Example.com/about` → example.com); hidden fields are not compared."""
    hidden = hidden_fields(member, "company")
    found = normalize_domain(domain) if domain and "domain" not in hidden else ""
    if not found and website and "website" not in hidden:
        found = normalize_domain(website)
    return company_duplicates(
        member,
        name="" if "name" in hidden else name,
        domain=found,
        exclude_id=exclude_id,
        limit=limit,
    )


@dataclass
class Pair:
    first: Any
    second: Any
    score: int
    reasons: list[str]


def contact_duplicate_pairs(member: Membership, *, limit: int = 100) -> list[Pair]:
    """Candidate pairs across the member's visible contacts (shared e-mail, phone, or name at one company),
    best first. Grouped in the database by indexed columns, so it stays cheap on large workspaces. A field
    the member's role hides is not compared: a pair found by it would tell what the field holds."""
    visible = contacts_visible_to(member)
    hidden = hidden_fields(member, "contact")
    ids = visible.values("pk")
    groups: list[tuple[list[int], int, str]] = []
    email_keys = (
        ContactEmail.objects.filter(workspace_id=member.workspace_id, contact__in=ids)
        .values("email_normalized")
        .annotate(n=Count("contact", distinct=True))
        .filter(n__gt=1)
        .values_list("email_normalized", flat=True)[:limit]
    )
    for key in [] if "emails" in hidden else email_keys:
        members_ids = list(
            ContactEmail.objects.filter(
                workspace_id=member.workspace_id, email_normalized=key, contact__in=ids
            )
            .values_list("contact_id", flat=True)
            .distinct()[:10]
        )
        groups.append((members_ids, SCORE_EMAIL, "email"))
    phone_keys = (
        ContactPhone.objects.filter(workspace_id=member.workspace_id, contact__in=ids)
        .values("number")
        .annotate(n=Count("contact", distinct=True))
        .filter(n__gt=1)
        .values_list("number", flat=True)[:limit]
    )
    for key in [] if "phones" in hidden else phone_keys:
        members_ids = list(
            ContactPhone.objects.filter(workspace_id=member.workspace_id, number=key, contact__in=ids)
            .values_list("contact_id", flat=True)
            .distinct()[:10]
        )
        groups.append((members_ids, SCORE_PHONE, "phone"))
    name_keys = (
        visible.exclude(name_normalized="")
        .filter(company__isnull=False)
        .values("name_normalized", "company_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)[:limit]
    )
    for row in [] if {"first_name", "last_name", "company"} & hidden else name_keys:
        members_ids = list(
            visible.filter(name_normalized=row["name_normalized"], company_id=row["company_id"]).values_list(
                "pk", flat=True
            )[:10]
        )
        groups.append((members_ids, SCORE_NAME_COMPANY, "name_company"))
    scored: dict[tuple[int, int], Pair] = {}
    reasons: dict[tuple[int, int], list[str]] = defaultdict(list)
    best: dict[tuple[int, int], int] = defaultdict(int)
    for group, score, reason in groups:
        group = sorted(set(group))
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                reasons[(first, second)].append(reason)
                best[(first, second)] = max(best[(first, second)], score)
    records = {
        c.pk: c for c in visible.filter(pk__in={pk for pair in best for pk in pair}).select_related("company")
    }
    for pair_key, score in best.items():
        if pair_key[0] in records and pair_key[1] in records:
            bonus = 5 * (len(reasons[pair_key]) - 1)
            scored[pair_key] = Pair(
                records[pair_key[0]], records[pair_key[1]], min(100, score + bonus), reasons[pair_key]
            )
    return sorted(scored.values(), key=lambda p: (-p.score, p.first.pk, p.second.pk))[:limit]


def company_duplicate_pairs(member: Membership, *, limit: int = 100) -> list[Pair]:
    """Companies sharing a domain or a normalized name (not compared when the member's role hides it)."""
    visible = companies_visible_to(member)
    hidden = hidden_fields(member, "company")
    best: dict[tuple[int, int], tuple[int, list[str]]] = {}
    for column, score, reason in (
        ("domain", SCORE_COMPANY_DOMAIN, "domain"),
        ("name_normalized", SCORE_COMPANY_NAME, "name"),
    ):
        if reason in hidden or (reason == "domain" and "website" in hidden):
            continue
        keys = (
            visible.exclude(**{column: ""})
            .values(column)
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .values_list(column, flat=True)[:limit]
        )
        for key in keys:
            group = sorted(visible.filter(**{column: key}).values_list("pk", flat=True)[:10])
            for i, first in enumerate(group):
                for second in group[i + 1 :]:
                    old_score, old_reasons = best.get((first, second), (0, []))
                    best[(first, second)] = (
                        max(old_score, score) + (5 if old_reasons else 0),
                        [*old_reasons, reason],
                    )
    records: dict[int, Company] = {
        c.pk: c for c in visible.filter(pk__in={pk for pair in best for pk in pair})
    }
    pairs = [
        Pair(records[a], records[b], min(100, score), reasons)
        for (a, b), (score, reasons) in best.items()
        if a in records and b in records
    ]
    return sorted(pairs, key=lambda p: (-p.score, p.first.pk, p.second.pk))[:limit]
