"""REST endpoints of duplicates and merging: check for likely duplicates before creating a record, list
candidate pairs, and merge records into one (restoring a merged record from the recycle bin undoes it).

Mounted before the contacts router, so `/contacts/merge` and `/contacts/duplicates` are not read as
`/contacts/{contact_id}`. Same conventions as peyvand/contacts/api.py: access functions first (merge: change
on the survivor, delete on the others), outputs redacted, refusals in the error envelope.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action, hidden_fields
from peyvand.contacts import access, duplicates, merges, services
from peyvand.contacts.api_output import company_out, contact_out, reload_companies, reload_contacts
from peyvand.contacts.models import Company, Contact
from peyvand.contacts.schemas import CompanyOut, ContactOut
from peyvand.core.api import ERRORS_READ, ERRORS_WRITE, InSchema, QueryIn, expected_version
from peyvand.core.versioning import check_version

router = Router(tags=["contacts"])

CANDIDATES_DEFAULT = 5
CANDIDATES_MAX = 20
PAIRS_DEFAULT = 100
PAIRS_MAX = 500

_REASONS = (
    "Why it looks like a duplicate: `email` (same e-mail address), `phone` (same phone number), "
    "`name_company` (same name at the same company), `name_domain` (same name and e-mail domain); for "
    "companies `domain` (same domain) and `name` (same name)."
)


# ================================================================== schemas


class ContactDuplicateQuery(QueryIn):
    email: list[str] | None = Field(None, description="E-mail addresses (repeat the parameter for more).")
    phone: list[str] | None = Field(
        None,
        description="Phone numbers in any digits; national ones are read for the workspace's country.",
    )
    name: str | None = Field(None, description="The full name; counts at the same company or e-mail domain.")
    company_id: int | None = Field(None, description="The company the new contact works at.")
    exclude_id: int | None = Field(None, description="A contact to leave out (the one being edited).")
    limit: int | None = Field(
        None, description=f"At most this many (default {CANDIDATES_DEFAULT}, up to 20)."
    )


class CompanyDuplicateQuery(QueryIn):
    name: str | None = None
    domain: str | None = Field(None, description="A domain or a web address (`https://www.example.com`).")
    website: str | None = Field(None, description="Used for the domain when `domain` is not given.")
    exclude_id: int | None = Field(None, description="A company to leave out (the one being edited).")
    limit: int | None = Field(
        None, description=f"At most this many (default {CANDIDATES_DEFAULT}, up to 20)."
    )


class PairQuery(QueryIn):
    limit: int | None = Field(
        None, description=f"At most this many pairs (default {PAIRS_DEFAULT}, up to 500)."
    )


class ContactRef(Schema):
    id: int
    display_name: str | None = Field(None, description="Made of the name parts the caller's role shows.")


class CompanyRef(Schema):
    id: int
    name: str | None = Field(None, description="Null when the caller's role hides company names.")


class ContactCandidateOut(Schema):
    contact: ContactRef
    score: int = Field(description="How likely, 0-100.")
    reasons: list[str] = Field(description=_REASONS)


class CompanyCandidateOut(Schema):
    company: CompanyRef
    score: int = Field(description="How likely, 0-100.")
    reasons: list[str] = Field(description=_REASONS)


class ContactPairOut(Schema):
    first: ContactRef
    second: ContactRef
    score: int
    reasons: list[str] = Field(description=_REASONS)


class CompanyPairOut(Schema):
    first: CompanyRef
    second: CompanyRef
    score: int
    reasons: list[str] = Field(description=_REASONS)


class MergeIn(InSchema):
    survivor_id: int = Field(description="The record that is kept.")
    merge_ids: list[int] = Field(
        min_length=1,
        max_length=merges.MAX_MERGE,
        description="The records merged into it.",
    )
    choices: dict[str, int] = Field(
        default_factory=dict,
        description="Field (or `custom.<key>`) → the id of the record whose value the survivor keeps. A "
        "field not named keeps the survivor's value, or the first other record's when the survivor has "
        "none; fields the caller may not change keep the survivor's value.",
    )
    expected_version: int | None = Field(None, description="The survivor's version (409 when stale).")


# ================================================================== shaping


def _member(request: HttpRequest) -> Membership:
    return request.member  # type: ignore[attr-defined,no-any-return]


def _limit(value: int | None, default: int, most: int) -> int:
    return default if value is None or value < 1 else min(value, most)


def contact_refs(member: Membership, contacts: list[Contact]) -> dict[int, dict[str, Any]]:
    """id → {id, display_name}, the name made only of the parts the member's role shows."""
    hidden = hidden_fields(member, "contact")
    refs = {}
    for contact in contacts:
        name = contact.display_name
        if {"first_name", "last_name"} & hidden:
            name = services.display_name_of(
                "" if "first_name" in hidden else contact.first_name,
                "" if "last_name" in hidden else contact.last_name,
                contact.preferred_language,
            )
        refs[contact.pk] = {"id": contact.pk, "display_name": name}
    return refs


def company_refs(member: Membership, companies: list[Company]) -> dict[int, dict[str, Any]]:
    name_hidden = "name" in hidden_fields(member, "company")
    return {c.pk: {"id": c.pk, "name": None if name_hidden else c.name} for c in companies}


# ================================================================== contacts


@router.get("/contacts/duplicates", response={200: list[ContactCandidateOut], **ERRORS_READ})
def find_contact_duplicates(
    request: HttpRequest, params: Query[ContactDuplicateQuery]
) -> list[dict[str, Any]]:
    """Contacts the caller may see that look like the one described — check before POST /contacts. Best
    first. Fields the caller's role hides are not compared."""
    member = _member(request)
    company = access.linkable_company(member=member, company_id=params.company_id)
    candidates = duplicates.typed_contact_duplicates(
        member,
        emails=params.email or [],
        phones=params.phone or [],
        name=params.name or "",
        company_id=company.pk if company is not None else None,
        exclude_id=params.exclude_id,
        limit=_limit(params.limit, CANDIDATES_DEFAULT, CANDIDATES_MAX),
    )
    refs = contact_refs(member, [c.record for c in candidates])
    return [{"contact": refs[c.record.pk], "score": c.score, "reasons": c.reasons} for c in candidates]


@router.get("/contacts/duplicate-pairs", response={200: list[ContactPairOut], **ERRORS_READ})
def list_contact_duplicate_pairs(request: HttpRequest, params: Query[PairQuery]) -> list[dict[str, Any]]:
    """Pairs of visible contacts sharing an e-mail address or a phone number, or the same name at one
    company; best first."""
    member = _member(request)
    pairs = duplicates.contact_duplicate_pairs(member, limit=_limit(params.limit, PAIRS_DEFAULT, PAIRS_MAX))
    refs = contact_refs(member, [r for p in pairs for r in (p.first, p.second)])
    return [
        {"first": refs[p.first.pk], "second": refs[p.second.pk], "score": p.score, "reasons": p.reasons}
        for p in pairs
    ]


@router.post("/contacts/merge", response={200: ContactOut, **ERRORS_WRITE})
def merge_contacts(request: HttpRequest, payload: MergeIn) -> dict[str, Any]:
    """Merge `merge_ids` into `survivor_id`: it keeps the chosen values and every e-mail, phone and tag of
    the others; their notes move to it; they go to the recycle bin. Restoring one of them
    (POST /contacts/{id}/restore) undoes its merge. Needs change on the survivor and delete on the others.
    `If-Match: <version>` of the survivor (412) or `expected_version` (409). Emits contact.merged."""
    member = _member(request)
    survivor = access.access_contact(member=member, contact_id=payload.survivor_id, action=Action.CHANGE)
    others = [
        access.access_contact(member=member, contact_id=pk, action=Action.DELETE)
        for pk in dict.fromkeys(payload.merge_ids)
        if pk != survivor.pk
    ]
    version, precondition = expected_version(request, payload.expected_version)
    check_version(survivor, version, precondition=precondition)
    merges.contact_merge(
        actor=member,
        survivor=survivor,
        others=others,
        choices=merges.keep_locked(member, survivor, others, payload.choices),
        expected_version=version,
    )
    return contact_out(member, reload_contacts([survivor.pk])[0])


# ================================================================== companies


@router.get(
    "/companies/duplicates", response={200: list[CompanyCandidateOut], **ERRORS_READ}, tags=["companies"]
)
def find_company_duplicates(
    request: HttpRequest, params: Query[CompanyDuplicateQuery]
) -> list[dict[str, Any]]:
    """Companies the caller may see with the same domain or name — check before POST /companies."""
    member = _member(request)
    candidates = duplicates.typed_company_duplicates(
        member,
        name=params.name or "",
        domain=params.domain or "",
        website=params.website or "",
        exclude_id=params.exclude_id,
        limit=_limit(params.limit, CANDIDATES_DEFAULT, CANDIDATES_MAX),
    )
    refs = company_refs(member, [c.record for c in candidates])
    return [{"company": refs[c.record.pk], "score": c.score, "reasons": c.reasons} for c in candidates]


@router.get(
    "/companies/duplicate-pairs", response={200: list[CompanyPairOut], **ERRORS_READ}, tags=["companies"]
)
def list_company_duplicate_pairs(request: HttpRequest, params: Query[PairQuery]) -> list[dict[str, Any]]:
    """Pairs of visible companies sharing a domain or a name; best first."""
    member = _member(request)
    pairs = duplicates.company_duplicate_pairs(member, limit=_limit(params.limit, PAIRS_DEFAULT, PAIRS_MAX))
    refs = company_refs(member, [r for p in pairs for r in (p.first, p.second)])
    return [
        {"first": refs[p.first.pk], "second": refs[p.second.pk], "score": p.score, "reasons": p.reasons}
        for p in pairs
    ]


@router.post("/companies/merge", response={200: CompanyOut, **ERRORS_WRITE}, tags=["companies"])
def merge_companies(request: HttpRequest, payload: MergeIn) -> dict[str, Any]:
    """Merge `merge_ids` into `survivor_id`: it keeps the chosen values and every tag of the others; their
    notes, people and subsidiaries move to it; they go to the recycle bin. Restoring one of them
    (POST /companies/{id}/restore) undoes its merge. Needs change on the survivor and delete on the others.
    Emits company.merged."""
    member = _member(request)
    survivor = access.access_company(member=member, company_id=payload.survivor_id, action=Action.CHANGE)
    others = [
        access.access_company(member=member, company_id=pk, action=Action.DELETE)
        for pk in dict.fromkeys(payload.merge_ids)
        if pk != survivor.pk
    ]
    version, precondition = expected_version(request, payload.expected_version)
    check_version(survivor, version, precondition=precondition)
    merges.company_merge(
        actor=member,
        survivor=survivor,
        others=others,
        choices=merges.keep_locked(member, survivor, others, payload.choices),
        expected_version=version,
    )
    return company_out(member, reload_companies([survivor.pk])[0])
