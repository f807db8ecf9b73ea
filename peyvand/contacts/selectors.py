"""Reads of contacts and companies shaped for lists, detail pages, search and the timeline.

Every read starts from `contacts_visible_to` / `companies_visible_to`. Filters come from a query string
(the web list and the API share one parser), so a saved view is just its query string.
"""

from __future__ import annotations

import datetime
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, F, FilteredRelation, Func, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from peyvand.accounts.models import Membership
from peyvand.contacts.access import companies_visible_to, contacts_visible_to
from peyvand.contacts.choices import Consent
from peyvand.contacts.models import Company, CompanyTag, Contact, ContactTag, Merge, Note
from peyvand.core import calendars, customfields
from peyvand.core.errors import ValidationFailedError
from peyvand.core.models import AuditEntry
from peyvand.core.pagination import keyset_page
from peyvand.core.text import normalize, normalize_compact, to_ascii_digits

_PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]{4,}$")
_MAX_ID = 2**63 - 1
_FIRST_DAY = datetime.date(1, 1, 2)
_LAST_DAY = datetime.date(9999, 12, 30)

CONTACT_ORDERINGS = {
    "name": "sort_key",
    "-name": "-sort_key",
    "created_at": "created_at",
    "-created_at": "-created_at",
    "updated_at": "updated_at",
    "-updated_at": "-updated_at",
}
COMPANY_ORDERINGS = CONTACT_ORDERINGS


# Control characters mean nothing in a search, and PostgreSQL refuses a NUL in a text parameter.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def search_needle(query: str) -> str:
    """What a query looks for in the search text: its normalized form without spaces (`علي رضا` →
    `علیرضا`), or only its digits when it looks like a phone number. Empty for an empty query."""
    text = _CONTROL.sub(" ", to_ascii_digits(query or "")).strip()
    if not text:
        return ""
    if _PHONE_LIKE.match(text) and sum(c.isdigit() for c in text) >= 4:
        return re.sub(r"\D", "", text)
    return normalize_compact(text)


def search_condition(query: str, member: Membership | None = None, entity: str = "contact") -> Q | None:
    """Condition matching `query` anywhere in the search text, as a Persian, Thai or English reader
    expects (see core.text.normalize). Segments of fields the member's role hides are not searched, so
    nobody finds a contact by an e-mail address they may not see. None for an empty query."""
    needle = search_needle(query)
    if not needle:
        return None
    condition = _text_condition(needle, member, entity)
    if len(needle) == BIGRAM and connection.vendor == "postgresql":
        # Too short for the trigram index: the bigram index finds the rows holding the two letters
        # (migration 0006), the condition above then checks them.
        condition &= Q(DataContains(_Bigrams(F("search_text")), Value([needle], output_field=_TEXT_ARRAY)))
    elif len(needle) > BIGRAM and connection.vendor == "sqlite" and not _LIKE_SPECIAL & set(needle):
        # SQLite's trigram index (migration 0008) gathers the rows holding the needle; the condition above
        # decides. (Reading the name index instead wins only for matches spread evenly through it, and Thai
        # names all sort after the others.)
        index = f"{(Contact if entity == 'contact' else Company)._meta.db_table}_search"
        # The table name is one of two constants and the needle a parameter.
        rows = RawSQL(f"SELECT rowid FROM {index} WHERE search_text LIKE %s", [f"%{needle}%"])  # noqa: S608,S611
        condition &= Q(pk__in=rows)
    return condition


_LIKE_SPECIAL = frozenset("%_\\")  # an FTS5 LIKE has no ESCAPE: such a needle reads every row instead


BIGRAM = 2


class _Bigrams(Func):
    """`pv_bigrams(text)`: the two-letter pieces of a text (PostgreSQL, migration 0006)."""

    function = "pv_bigrams"
    output_field = ArrayField(TextField())


_TEXT_ARRAY = ArrayField(TextField())


def _text_condition(needle: str, member: Membership | None, entity: str) -> Q:
    excluded = _hidden_search_tags(member, entity) if member is not None else set()
    if not excluded:
        return Q(search_text__contains=needle)
    # One segment is `<tag>:<text>`, segments are separated by `|`: look for the needle inside a segment
    # whose tag is not excluded (the same regular expression on PostgreSQL and on SQLite).
    fixed = [tag for tag in _search_tags(entity) if tag not in excluded]
    hidden_custom = [tag[1:] for tag in excluded if tag.startswith("k")]
    custom = (
        "k(?!(?:" + "|".join(map(re.escape, hidden_custom)) + "):)[a-z0-9_]+"
        if hidden_custom
        else "k[a-z0-9_]+"
    )
    tags = "|".join([*fixed, custom])
    return Q(search_text__regex=f"(^|\\|)(?:{tags}):[^|]*{re.escape(needle)}")


PROBE_ROWS = 5000  # the least number of matches that makes walking the name index worth it
PAGE_FOR_PROBE = 50


def _probe_rows(model: Any) -> int:
    """How many matches make walking the name index cheaper than collecting them: walking reads about
    page × total ÷ matches rows, collecting reads the matches, so they cost the same at √(page × total)
    matches. The total is the planner's estimate (no count of a million rows for it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        row = cursor.fetchone()
    total = max(0.0, float(row[0])) if row else 0.0
    return max(PROBE_ROWS, int(math.sqrt(PAGE_FOR_PROBE * total)))


WALK_WINDOW = 2000  # rows of the name index a searched page reads before it collects instead


def page_plan(
    member: Membership, filters: ListFilters, ordering: str, entity: str = "contact"
) -> dict[str, Any]:
    """How `keyset_page` should find a name-ordered page (its keyword arguments): walk the name index (the
    default), walk the driving tag's links (`order_field`), collect the matches and sort them
    (`collect_then_sort`), or walk a window and collect the rest (`walk_window`).

    Walking wins when matches are common (a page is found after a few rows) and loses badly when they are
    rare or bunched at one end of the alphabet (Thai names after Latin and Persian ones). A search walks a
    window of the index first: a common fragment fills the page there, anything else is collected through
    the trigram (or bigram) index. One tag, or all of several, pages through the index of that tag's links
    (see _tag_filtered); any of several is decided by one cheap probe: fewer matches in the tag index than
    `_probe_rows` → collect. PostgreSQL only: SQLite's planner is left to choose (a search joins its FTS
    index; a tag filter joins the tag's links)."""
    if ordering.lstrip("-") != "sort_key":
        return {}
    model: Any = Contact if entity == "contact" else Company
    if connection.vendor != "postgresql":
        return {}
    if len(search_needle(filters.search)) >= BIGRAM:
        return {"walk_window": (model.objects.filter(workspace_id=member.workspace_id), WALK_WINDOW)}
    if not filters.tags:
        return {}
    if _driving_tag_wanted(filters):
        return {"order_field": TAG_SORT_KEY}  # the tag's links in name order (see _tag_filtered)
    through: Any = ContactTag if entity == "contact" else CompanyTag
    limit = _probe_rows(model)
    rare = through.objects.filter(tag_id__in=filters.tags).values("pk")[:limit].count() < limit
    return {"collect_then_sort": True} if rare else {}


def _search_tags(entity: str) -> dict[str, tuple[str, ...]]:
    from peyvand.contacts.services import COMPANY_SEARCH_TAGS, CONTACT_SEARCH_TAGS

    return CONTACT_SEARCH_TAGS if entity == "contact" else COMPANY_SEARCH_TAGS


def _hidden_search_tags(member: Membership, entity: str) -> set[str]:
    from peyvand.accounts.policy import hidden_fields

    hidden = hidden_fields(member, entity)
    if not hidden:
        return set()
    tags = {tag for tag, rules in _search_tags(entity).items() if hidden & set(rules)}
    tags.update(f"k{name[len('custom.') :]}" for name in hidden if name.startswith("custom."))
    return tags


@dataclass
class ListFilters:
    """Parsed list filters (from a query string); `as_query()` gives them back for links and saved views."""

    search: str = ""
    tags: list[int] = field(default_factory=list)
    tags_mode: str = "any"  # any / all
    without_tags: list[int] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)
    unowned: bool = False
    lifecycle: list[int] = field(default_factory=list)
    company: int | None = None
    source: str = ""
    email_consent: str | None = None
    sms_consent: str | None = None
    created_from: datetime.date | None = None
    created_to: datetime.date | None = None
    updated_from: datetime.date | None = None
    updated_to: datetime.date | None = None
    birthday_this_month: bool = False
    custom: list[tuple[str, str, str]] = field(default_factory=list)
    ordering: str = "name"


def _ints(values: Iterable[str], name: str, errors: dict[str, list[str]]) -> list[int]:
    result = []
    for value in values:
        for part in str(value).split(","):
            if not part.strip():
                continue
            try:
                number = int(to_ascii_digits(part.strip()))
            except ValueError:
                errors.setdefault(name, []).append(_("“%(value)s” is not a number.") % {"value": part})
                continue
            if not 0 <= number <= _MAX_ID:  # no row has such an id; the database driver would fail on it
                errors.setdefault(name, []).append(_("“%(value)s” is not a number.") % {"value": part})
                continue
            result.append(number)
    return result


def _day(value: str, name: str, errors: dict[str, list[str]]) -> datetime.date | None:
    if not value:
        return None
    try:
        day = parse_date(to_ascii_digits(value.strip()))
    except ValueError:
        day = None
    if day is None:
        try:
            day = calendars.parse_date(value)
        except ValueError:
            day = None
    if day is not None and not _FIRST_DAY <= day <= _LAST_DAY:
        day = None  # a day boundary of 0001-01-01 or 9999-12-31 overflows once shifted to UTC
    if day is None:
        errors.setdefault(name, []).append(_("Enter a date."))
    return day


def parse_filters(
    params: Mapping[str, Any], *, orderings: Mapping[str, str] = CONTACT_ORDERINGS
) -> ListFilters:
    """Read filters from a QueryDict-like mapping (`getlist` used when present). Unknown values are a
    ValidationFailedError naming the parameter; unknown parameters are ignored (pagination, columns…)."""

    def many(name: str) -> list[str]:
        getter = getattr(params, "getlist", None)
        values = getter(name) if getter else params.get(name, [])
        found = [values] if isinstance(values, str) else [str(v) for v in values or []]
        return [_CONTROL.sub(" ", v) for v in found]

    def one(name: str) -> str:
        values = many(name)
        return values[-1].strip() if values else ""

    errors: dict[str, list[str]] = {}
    filters = ListFilters(search=one("search")[:200], source=one("source")[:100])
    filters.tags = _ints(many("tag"), "tag", errors)
    filters.without_tags = _ints(many("not_tag"), "not_tag", errors)
    filters.tags_mode = one("tags_mode") or "any"
    if filters.tags_mode not in ("any", "all"):
        errors["tags_mode"] = [_("Use any or all.")]
    owners = many("owner")
    filters.unowned = "none" in owners
    filters.owners = _ints([o for o in owners if o not in ("none", "me")], "owner", errors)
    filters.owners += [-1] * ("me" in owners)  # resolved to the viewer in apply
    filters.lifecycle = _ints(many("lifecycle"), "lifecycle", errors)
    company = _ints(many("company"), "company", errors)
    filters.company = company[-1] if company else None
    for kind in ("email_consent", "sms_consent"):
        value = one(kind)
        if value:
            if value == "unknown":
                value = ""
            if value not in Consent.values:
                errors[kind] = [_("Use granted, withdrawn or unknown.")]
            setattr(filters, kind, value)
    filters.created_from = _day(one("created_from"), "created_from", errors)
    filters.created_to = _day(one("created_to"), "created_to", errors)
    filters.updated_from = _day(one("updated_from"), "updated_from", errors)
    filters.updated_to = _day(one("updated_to"), "updated_to", errors)
    filters.birthday_this_month = one("birthday") == "this_month"
    keys = params.keys() if hasattr(params, "keys") else []
    for key in sorted(keys):
        if key.startswith("custom."):
            name, _sep, op = key[len("custom.") :].partition("__")
            for value in many(key):
                if value.strip():  # an empty input is no filter (a form sent without the page's script)
                    filters.custom.append((name, op or "eq", value))
    ordering = one("ordering") or "name"
    if ordering not in orderings:
        errors["ordering"] = [_("Order by one of: %(names)s.") % {"names": ", ".join(orderings)}]
    filters.ordering = ordering
    if errors:
        raise ValidationFailedError(fields=errors)
    return filters


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


TAG_SORT_KEY = "_tag_sort_key"  # the alias of the driving tag's link's sort key (see _tag_filtered)
TAG_PROBE = 10_000


def _driving_tag_wanted(filters: ListFilters) -> bool:
    return bool(filters.tags) and (len(filters.tags) == 1 or filters.tags_mode == "all")


def _tag_filtered(qs: QuerySet, filters: ListFilters, through: Any, field_name: str) -> QuerySet:
    """`qs` with the tag filters. A match must have a link to one tag (one of one, or the rarest of several
    that must all be there): that tag is joined (a record has one link to it), and the link's copy of the
    record's sort key is the alias TAG_SORT_KEY, so a name-ordered page walks the index of the tag's links
    (see page_plan) — the same rows as the EXISTS test for the other tags."""
    link = through.objects.filter(**{field_name: OuterRef("pk")})
    others = list(filters.tags)
    if _driving_tag_wanted(filters):
        driving = others[0]
        if len(others) > 1:  # the rarest, by a count capped at TAG_PROBE
            driving = min(
                others, key=lambda tag_id: through.objects.filter(tag_id=tag_id)[:TAG_PROBE].count()
            )
        others.remove(driving)
        qs = (
            qs.alias(_tag_link=FilteredRelation("tag_links", condition=Q(tag_links__tag_id=driving)))
            .alias(**{TAG_SORT_KEY: F("_tag_link__sort_key")})
            .filter(**{f"{TAG_SORT_KEY}__isnull": False})
        )
    if others and filters.tags_mode == "all":
        for tag_id in others:
            qs = qs.filter(Exists(link.filter(tag_id=tag_id)))
    elif others:
        qs = qs.filter(Exists(link.filter(tag_id__in=others)))
    if filters.without_tags:
        qs = qs.filter(~Exists(link.filter(tag_id__in=filters.without_tags)))
    return qs


def _common(qs: QuerySet, member: Membership, filters: ListFilters, entity: str) -> QuerySet:
    condition = search_condition(filters.search, member, entity)
    if condition is not None:
        qs = qs.filter(condition)
    owners = [member.pk if o == -1 else o for o in filters.owners]
    if owners and filters.unowned:
        qs = qs.filter(Q(owner_id__in=owners) | Q(owner__isnull=True))
    elif owners:
        qs = qs.filter(owner_id__in=owners)
    elif filters.unowned:
        qs = qs.filter(owner__isnull=True)
    if filters.created_from:
        qs = qs.filter(created_at__gte=_day_start(filters.created_from))
    if filters.created_to:
        qs = qs.filter(created_at__lt=_day_start(filters.created_to + datetime.timedelta(days=1)))
    if filters.updated_from:
        qs = qs.filter(updated_at__gte=_day_start(filters.updated_from))
    if filters.updated_to:
        qs = qs.filter(updated_at__lt=_day_start(filters.updated_to + datetime.timedelta(days=1)))
    if filters.custom:
        defs = {d.key: d for d in customfields.definitions(member.workspace_id, entity)}
        hidden = _hidden_custom(member, entity)
        errors: dict[str, list[str]] = {}
        for key, op, value in filters.custom:
            definition = defs.get(key)
            if definition is None or definition.path in hidden:
                errors[f"custom.{key}"] = [_("Unknown custom field.")]
                continue
            try:
                aliases, custom_condition = customfields.custom_filter(
                    definition, op, value, region=member.workspace.country
                )
            except ValidationError as error:
                errors[f"custom.{key}"] = list(error.messages)
                continue
            qs = qs.alias(**aliases).filter(custom_condition)
        if errors:
            raise ValidationFailedError(fields=errors)
    return qs


# Filters on fixed fields: (ListFilters attribute, query parameter, field rule that hides it).
_FILTER_RULES = (
    ("tags", "tag", "tags"),
    ("without_tags", "not_tag", "tags"),
    ("owners", "owner", "owner"),
    ("unowned", "owner", "owner"),
    ("lifecycle", "lifecycle", "lifecycle_stage"),
    ("company", "company", "company"),
    ("source", "source", "source"),
    ("email_consent", "email_consent", "email_consent"),
    ("sms_consent", "sms_consent", "sms_consent"),
    ("birthday_this_month", "birthday", "birthday"),
)


def _refuse_hidden_filters(member: Membership, filters: ListFilters, entity: str) -> None:
    """Filtering by a field hidden from the member would reveal it row by row: refused like an unknown
    filter (custom fields are checked in `_common`)."""
    hidden = _hidden_custom(member, entity)
    if not hidden:
        return
    errors = {
        param: [_("You may not filter by this field.")]
        for attribute, param, rule in _FILTER_RULES
        if rule in hidden and getattr(filters, attribute) not in (None, "", [], False)
    }
    if errors:
        raise ValidationFailedError(fields=errors)


def _hidden_custom(member: Membership, entity: str) -> set[str]:
    from peyvand.accounts.policy import hidden_fields

    return hidden_fields(member, entity)


def birthday_month_condition(today: datetime.date, calendar: str) -> Q:
    """Birthdays (month-day) falling in this month of `calendar` (a Jalali month spans two Gregorian ones)."""
    year, month = calendars.month_of(today, calendar)
    first, last = calendars.month_bounds(year, month, calendar)
    start, end = first.month * 100 + first.day, last.month * 100 + last.day
    if start <= end:
        return Q(birthday_md__gte=start, birthday_md__lte=end)
    return Q(birthday_md__gte=start) | Q(birthday_md__lte=end)


def contact_list(member: Membership, filters: ListFilters) -> QuerySet[Contact]:
    """The contacts `member` sees that match `filters` (not yet ordered or paged)."""
    _refuse_hidden_filters(member, filters, "contact")
    qs: QuerySet[Contact] = contacts_visible_to(member)
    qs = _common(qs, member, filters, "contact")
    qs = _tag_filtered(qs, filters, ContactTag, "contact")
    if filters.lifecycle:
        qs = qs.filter(lifecycle_stage_id__in=filters.lifecycle)
    if filters.company is not None:
        qs = qs.filter(company_id=filters.company)
    if filters.source:
        qs = qs.filter(source__iexact=filters.source)
    if filters.email_consent is not None:
        qs = qs.filter(email_consent=filters.email_consent)
    if filters.sms_consent is not None:
        qs = qs.filter(sms_consent=filters.sms_consent)
    if filters.birthday_this_month:
        today = timezone.localdate()
        qs = qs.filter(birthday_month_condition(today, calendars.current_format().calendar))
    return qs


def company_list(member: Membership, filters: ListFilters) -> QuerySet[Company]:
    _refuse_hidden_filters(member, filters, "company")
    qs: QuerySet[Company] = companies_visible_to(member)
    qs = _common(qs, member, filters, "company")
    qs = _tag_filtered(qs, filters, CompanyTag, "company")
    return qs


def points_by_contact(
    model: Any, column: str, ids: list[int], *, primary_first: bool = False
) -> dict[int, list[tuple[str, str, bool]]]:
    """E-mails (`ContactEmail`, "email") or phones (`ContactPhone`, "number") of these contacts as
    (value, label, is primary), in the order they were entered (`primary_first`: the primary one first), in
    one query — no model instance per row."""
    result: dict[int, list[tuple[str, str, bool]]] = defaultdict(list)
    order = (
        ["contact_id", "-is_primary", "position", "id"] if primary_first else ["contact_id", "position", "id"]
    )
    rows = (
        model.objects.filter(contact_id__in=ids)
        .order_by(*order)
        .values_list("contact_id", column, "label", "is_primary")
    )
    for contact_id, value, label, primary in rows:
        result[contact_id].append((value, label, primary))
    return result


@dataclass(frozen=True, slots=True)
class TagBrief:
    """What a page shows of a tag (no model instance per row and tag)."""

    pk: int
    name: str
    color: str


def tags_by_record(through: Any, field_name: str, ids: list[int]) -> dict[int, list[TagBrief]]:
    """The tags of each record on a page, by name, in one query."""
    result: dict[int, list[TagBrief]] = defaultdict(list)
    links = through.objects.filter(**{f"{field_name}_id__in": ids}).order_by("tag__name", "tag_id")
    for record_id, *tag in links.values_list(f"{field_name}_id", "tag_id", "tag__name", "tag__color"):
        result[record_id].append(TagBrief(*tag))
    return result


def contact_tags(ids: list[int]) -> dict[int, list[TagBrief]]:
    return tags_by_record(ContactTag, "contact", ids)


def company_tags(ids: list[int]) -> dict[int, list[TagBrief]]:
    return tags_by_record(CompanyTag, "company", ids)


def quick_search(member: Membership, query: str, limit: int = 8) -> dict[str, list[Any]]:
    """The top bar's search as you type: a few contacts and companies, in name order."""
    contact_condition = search_condition(query, member, "contact")
    company_condition = search_condition(query, member, "company")
    if contact_condition is None or company_condition is None:
        return {"contacts": [], "companies": []}
    filters = ListFilters(search=query)
    contacts = keyset_page(
        contacts_visible_to(member).filter(contact_condition).select_related("company"),
        ordering="sort_key",
        limit=limit,
        **page_plan(member, filters, "sort_key", "contact"),
    ).items
    companies = keyset_page(
        companies_visible_to(member).filter(company_condition),
        ordering="sort_key",
        limit=limit,
        **page_plan(member, filters, "sort_key", "company"),
    ).items
    return {"contacts": contacts, "companies": companies}


PICKER_MATCHES = 20
_MAX_TREE_DEPTH = 100  # a deeper chain of subsidiaries than anyone keeps; the loop must end even on bad data


def company_options(
    member: Membership, query: str, *, limit: int = PICKER_MATCHES, exclude_tree_of: int | None = None
) -> list[Company]:
    """The companies a picker offers as the member types: among those they see, names starting with the
    query first, then the rest the company list's search finds (`search_condition`: any part of the name,
    legal name, domain or a phone number, in Persian, Thai or Latin), each in name order; an empty query
    gives the first by name. `exclude_tree_of` leaves out that company and everything below it (choosing a
    parent: the services refuse a cycle anyway). At most two queries, plus one per level of the tree.

    The names starting with the query are a range of the `(workspace, name_normalized)` index, read in
    its order and then sorted by name: with 100,000 companies a `LIKE 'p%'` walking the name order took
    30–230 ms, the range takes under 1 ms (SQLite and PostgreSQL with a C-like collation; with a
    linguistic one the range may miss names, which then come with the rest)."""
    companies = companies_visible_to(member).only("id", "name", "workspace_id", "sort_key")
    if exclude_tree_of is not None:
        companies = companies.exclude(pk__in=company_tree_ids(member.workspace_id, exclude_tree_of))
    condition = search_condition(query, member, "company")
    if condition is None:
        return list(companies.order_by("sort_key", "id")[:limit])
    first: list[Company] = []
    prefix = normalize(to_ascii_digits(query))
    if prefix and prefix[-1] != chr(0x10FFFF) and "name" not in _hidden_custom(member, "company"):
        after = prefix[:-1] + _next_character(prefix[-1])  # the first text past all starting with prefix
        starting = companies.filter(
            name_normalized__gte=prefix, name_normalized__lt=after, name_normalized__startswith=prefix
        )
        first = sorted(starting.order_by("name_normalized", "id")[:limit], key=lambda c: (c.sort_key, c.pk))
    if len(first) < limit:
        rest = companies.filter(condition).exclude(pk__in=[c.pk for c in first])
        first.extend(rest.order_by("sort_key", "id")[: limit - len(first)])
    return first


def _next_character(character: str) -> str:
    following = ord(character) + 1
    return chr(0xE000 if 0xD800 <= following <= 0xDFFF else following)  # surrogates are not text


def company_tree_ids(workspace_id: int, company_id: int) -> set[int]:
    """`company_id` and the ids of every company below it in `workspace_id`, deleted ones included."""
    found = {company_id}
    level = {company_id}
    for _depth in range(_MAX_TREE_DEPTH):
        children = set(
            Company.all_objects.filter(workspace_id=workspace_id, parent_id__in=level).values_list(
                "pk", flat=True
            )
        )
        level = children - found
        if not level:
            break
        found |= level
    return found


@dataclass
class TimelineItem:
    kind: str  # "note" or "audit"
    at: datetime.datetime
    record: Any


def timeline(member: Membership, *, entity: str, record_id: int, limit: int = 50) -> list[TimelineItem]:
    """What happened to one contact or company, newest first: notes and audited changes, including those
    of records merged into it (activities and messages join later). The caller has already checked the
    member may see the record."""
    notes = Note.objects.filter(
        workspace_id=member.workspace_id, **{f"{entity}_id": record_id}
    ).select_related("author__user")
    # A survivor of a merge carries the history of the records merged into it (until the merge is undone).
    merged = Merge.objects.filter(
        workspace_id=member.workspace_id, entity=entity, survivor_id=record_id, undone_at=None
    ).values_list("merged_id", flat=True)
    record_ids = [str(record_id), *(str(pk) for pk in merged)]
    entries = AuditEntry.objects.filter(
        workspace_id=member.workspace_id, entity=entity, record_id__in=record_ids
    ).order_by("-id")[:limit]
    items = [TimelineItem("note", n.created_at, n) for n in notes.order_by("-created_at")[:limit]]
    items.extend(TimelineItem("audit", e.created_at, e) for e in entries)
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]
