"""Search and name order through the database, with every case of the shared i18n data (SQLite and
PostgreSQL must give the same answers)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from peyvand.accounts import services as account_services
from peyvand.contacts import selectors
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import every_page, make_contact
from peyvand.core.models import Tag
from peyvand.core.text import normalize, normalize_compact

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "core" / "tests" / "data" / "i18n-search"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


SEARCH_ROWS = _rows("search_cases.csv")
SORT_ROWS = _rows("sort_cases.csv")


@pytest.mark.parametrize("row", SEARCH_ROWS, ids=[row["id"] for row in SEARCH_ROWS])
def test_search_case_through_the_database(world, row):
    contact = make_contact(world.owner, row["stored"], "")
    make_contact(world.owner, "Unrelated", "Person")
    found = set(
        selectors.contact_list(world.owner, selectors.parse_filters({"search": row["query"]})).values_list(
            "pk", flat=True
        )
    )
    expected = row["expected_match"] == "true"
    if row["mode"] == "contains":
        assert (contact.pk in found) is expected
        return
    # "equals" rows are about sameness (duplicate detection compares the stored normalized name); a search
    # box still finds by a prefix (typing "Ann" finds "Anne"), so only matches must also be found.
    if expected:
        assert contact.pk in found
    same = Contact.objects.filter(workspace=world.workspace, name_normalized=normalize(row["query"]))
    if row["mode"] == "equals":
        assert same.filter(pk=contact.pk).exists() is expected
    else:
        assert (normalize_compact(contact.name_normalized) == normalize_compact(row["query"])) is expected


def _expected(field: str) -> list[str]:
    return re.sub(r"\s*\(.*\)\s*$", "", field).split("|")


@pytest.mark.parametrize("row", SORT_ROWS, ids=[row["id"] for row in SORT_ROWS])
def test_name_order_through_the_database(world, row):
    language = row["lang"].split("+")[0]
    account_services.workspace_update(
        actor=world.owner, workspace=world.workspace, changes={"language": language}
    )
    world.owner.workspace.refresh_from_db()
    for name in row["input (| separated)"].split("|"):
        make_contact(world.owner, name, "")
    page = selectors.contact_list(world.owner, selectors.parse_filters({"ordering": "name"}))
    names = list(page.order_by("sort_key", "id").values_list("first_name", flat=True))
    assert names == _expected(row["expected order"])
    descending = list(page.order_by("-sort_key", "-id").values_list("first_name", flat=True))
    assert descending == list(reversed(names)) or len(set(names)) != len(names)


def test_every_contact_has_a_sort_key(world):
    make_contact(world.owner, "", "", emails=["only@example.com"])
    assert not Contact.objects.filter(sort_key="").exists()


@pytest.mark.parametrize(
    ("rule", "query", "found"),
    [
        ("emails", "secret@example", False),
        ("emails", "پنهان", True),
        ("phones", "0912 123", False),
        ("phones", "secret@", True),
        ("custom.tier", "platinum", False),
        ("company", "parsian", False),
        ("first_name", "پنهان", False),
        (None, "platinum", True),
    ],
)
def test_search_skips_fields_the_role_hides(world, rule, query, found):
    from peyvand.contacts.tests.factories import make_company
    from peyvand.core import customfields

    account_services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"country": "IR"})
    world.owner.workspace.refresh_from_db()
    customfields.custom_field_create(
        actor=world.owner,
        data={"entity": "contact", "key": "tier", "label": "Tier", "field_type": "text", "searchable": True},
    )
    company = make_company(world.owner, "Parsian")
    contact = make_contact(
        world.owner,
        "پنهان",
        "کار",
        emails=["secret@example.com"],
        phones=["09121234567"],
        custom={"tier": "Platinum"},
        company=company,
    )
    make_contact(world.owner, "Other", "Person", emails=["other@example.org"])
    if rule:
        role = world.rep.role
        role.field_rules = {"contact": {rule: "hidden"}}
        role.save()
        world.rep.refresh_from_db()
    ids = set(
        selectors.contact_list(world.rep, selectors.parse_filters({"search": query})).values_list(
            "pk", flat=True
        )
    )
    assert (contact.pk in ids) is found
    quick = selectors.quick_search(world.rep, query)
    assert (contact in quick["contacts"]) is found


def test_collect_then_sort_pages_like_the_index_walk(world):
    """Both ways of producing a name-ordered page give the same rows, forwards and backwards."""

    for name in ["یاسمن", "پرویز", "Ali", "สมชาย", "آرش", "Zoë", "ali", "กมล", "بهرام", "Oscar", "Ruby"]:
        make_contact(world.owner, name, "")
    qs = selectors.contact_list(world.owner, selectors.parse_filters({}))
    for ordering in ("sort_key", "-sort_key"):
        walks = []
        for collect in (False, True):
            walks.append(every_page(qs, ordering=ordering, limit=3, collect_then_sort=collect))
        assert walks[0] == walks[1] and len(walks[0]) == 11


@pytest.mark.parametrize("window", [1, 2, 4, 50])
def test_walk_window_pages_like_the_index_walk(world, window):
    """A bounded walk that collects the rest gives the same pages as the walk, for any window size, forwards
    and backwards, with matches spread out and bunched at the end."""

    names = ["Ali Sara", "Oscar", "آرش", "Sara", "Zoë", "سارا", "Ruby", "سارا بهرام", "สมชาย", "Sarah", "กมล"]
    for name in names:
        make_contact(world.owner, *name.partition(" ")[::2])
    base = Contact.objects.filter(workspace_id=world.workspace.pk)
    for query in ("sar", "سار", "มชา", "sa", "سا", "ชา"):
        qs = selectors.contact_list(world.owner, selectors.parse_filters({"search": query}))
        for ordering in ("sort_key", "-sort_key"):
            walks = []
            for plan in ({}, {"walk_window": (base, window)}):
                walks.append(every_page(qs, ordering=ordering, limit=2, **plan))
            assert walks[0] == walks[1] and walks[0], (query, ordering)


@pytest.mark.parametrize("query", ["วช", "ชิ", "سا", "ra", "RA", "ex", "91", "a@", "zz"])
def test_two_letter_searches_find_what_contains_them(world, query):
    """Two letters are too few for the trigram index; PostgreSQL finds them through the bigram index
    (migration 0006) and must find exactly the contacts whose search text holds them, as SQLite does."""
    from django.db import connection

    make_contact(world.owner, "วชิระ", "สุขสันต์")
    make_contact(world.owner, "سارا", "رادمنش", emails=["sara@example.com"])
    make_contact(world.owner, "Kamran", "Exley", phones=["+989121234567"])
    qs = selectors.contact_list(world.owner, selectors.parse_filters({"search": query}))
    needle = selectors.search_needle(query)
    expected = {c.pk for c in Contact.objects.filter(workspace=world.workspace) if needle in c.search_text}
    assert set(qs.values_list("pk", flat=True)) == expected
    assert ("pv_bigrams" in str(qs.query)) is (connection.vendor == "postgresql")


def test_bigrams_function_on_postgresql(world):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the bigram index is PostgreSQL's")
    samples = ["abca", "a", "", "ab", "abc", "วชิ", "n:امیرکریمی|f:امیر|e:p1@mail.example.com|p:989123157515"]
    samples += ["aaaa", "a\nb c", "😀x😀", "ก่นา" * 7]
    with connection.cursor() as cursor:
        for text in samples:
            cursor.execute("SELECT pv_bigrams(%s)", [text])
            pieces = cursor.fetchone()[0]
            assert sorted(pieces) == sorted(text[i : i + 2] for i in range(len(text) - 1)), text
        cursor.execute("SELECT pv_bigrams(NULL)")
        assert cursor.fetchone()[0] is None
    # The index still serves the function as a query spells it (both are inlined the same way); enough
    # rows that the planner prefers a selective index to reading a whole one.
    Contact.objects.bulk_create(
        Contact(workspace=world.workspace, first_name=f"p{n}", search_text=f"n:p{n:05d}") for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('contact_search_bigram')")
        cursor.execute("ANALYZE contacts_contact")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM contacts_contact WHERE deleted_at IS NULL "
            "AND pv_bigrams(search_text) @> ARRAY['ka']"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "contact_search_bigram" in plan, plan
    # The function splits its pieces at U+001F, which search texts never hold.
    from peyvand.core.text import normalize_compact

    assert "\x1f" not in normalize_compact("a\x1fb\x1f")


def test_page_plan_only_for_selective_name_pages_on_postgresql(world):
    from django.db import connection

    make_contact(world.owner, "Kamali", "Rad", tags=["rare"])
    filters = selectors.parse_filters({"search": "kamali"})
    on_postgresql = connection.vendor == "postgresql"
    plan = selectors.page_plan(world.owner, filters, "sort_key")
    assert ("walk_window" in plan) is on_postgresql
    assert selectors.page_plan(world.owner, filters, "-created_at") == {}
    two_letters = selectors.page_plan(world.owner, selectors.parse_filters({"search": "ka"}), "sort_key")
    assert ("walk_window" in two_letters) is on_postgresql
    assert selectors.page_plan(world.owner, selectors.parse_filters({"search": "k"}), "sort_key") == {}
    rare = selectors.parse_filters({"tag": [str(Tag.objects.get(name="rare").pk)]})
    assert selectors.page_plan(world.owner, rare, "sort_key") == (
        {"order_field": selectors.TAG_SORT_KEY} if on_postgresql else {}
    )
    make_contact(world.owner, "Other", "Tag", tags=["other"])
    either = selectors.parse_filters({"tag": [str(t.pk) for t in Tag.objects.all()], "tags_mode": "any"})
    assert selectors.page_plan(world.owner, either, "sort_key") == (
        {"collect_then_sort": True} if on_postgresql else {}
    )


def test_probe_threshold_grows_with_the_table(monkeypatch):
    """Walking the name index reads about page × total ÷ matches rows, collecting reads the matches: the
    break-even is √(page × total), never below PROBE_ROWS."""
    from peyvand.contacts.models import Contact

    class Cursor:
        def __init__(self, estimate):
            self.estimate = estimate

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, sql, params):
            assert "reltuples" in sql and params == [Contact._meta.db_table]

        def fetchone(self):
            return (self.estimate,)

    from django.db import connections

    connection = connections["default"]
    for estimate, expected in ((-1.0, selectors.PROBE_ROWS), (10_000.0, selectors.PROBE_ROWS), (4e6, 14_142)):
        monkeypatch.setattr(connection, "cursor", lambda e=estimate: Cursor(e))
        assert selectors._probe_rows(Contact) == expected


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/contacts/?search=a%00b", 200),
        ("/companies/?search=a%00b", 200),
        ("/search/?q=ab%00c", 200),
        ("/contacts/?source=x%00y", 200),
        ("/contacts/count/?search=a%00b", 200),
        ("/api/v1/contacts?search=a%00b", 422),  # the API names the parameter instead
        ("/api/v1/companies?search=a%00b", 422),
    ],
)
def test_control_characters_in_a_search_are_not_a_server_error(world, web_client_for, url, status):
    """PostgreSQL refuses a NUL in a text parameter: the pages ignore control characters in a search."""
    make_contact(world.owner, "Sara", "Ahmadi")
    response = web_client_for(world.owner).get(url)
    assert response.status_code == status, response.content[:300]


def test_sqlite_trigram_index_follows_every_write(world):
    """SQLite narrows a search with its FTS5 trigram index (kept by triggers): renamed, restored and deleted
    records are found by what they are now; needles with LIKE wildcards skip the index."""
    from django.db import connection

    from peyvand.contacts import services
    from peyvand.core import recycle

    def found(query: str) -> set[int]:
        qs = selectors.contact_list(world.owner, selectors.parse_filters({"search": query}))
        if connection.vendor == "sqlite" and len(selectors.search_needle(query)) > 2 and "_" not in query:
            assert "contacts_contact_search" in str(qs.query)
        return set(qs.values_list("pk", flat=True))

    sara = make_contact(world.owner, "Sara", "Ahmadi", emails=["sara_a@example.com"])
    kamran = make_contact(world.owner, "کامران", "رادمنش")
    assert found("ahmad") == {sara.pk} and found("امران") == {kamran.pk}
    services.contact_update(actor=world.owner, contact=sara, changes={"last_name": "Karimi"})
    assert found("ahmad") == set() and found("karim") == {sara.pk}
    assert found("sara_a") == {sara.pk}  # an underscore: no index, same answer
    recycle.soft_delete(actor=world.owner, record=kamran)
    assert found("امران") == set()
    recycle.restore(actor=world.owner, record=Contact.all_objects.get(pk=kamran.pk))
    assert found("امران") == {kamran.pk}
    Contact.all_objects.filter(pk=kamran.pk).delete()
    assert found("امران") == set()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM contacts_contact_search WHERE search_text LIKE '%امران%'")
            assert cursor.fetchone()[0] == 0


def test_sqlite_search_index_is_repaired_after_migrate(world):
    """SQLite drops a table's triggers when Django rebuilds the table for a schema change; the post-migrate
    hook puts them back and re-indexes, so searches keep finding what is written afterwards."""
    from django.db import connection
    from django.db.models.signals import post_migrate

    from peyvand.contacts import sqlite_search

    if connection.vendor != "sqlite":
        assert sqlite_search.ensure(connection) == []
        return
    before = make_contact(world.owner, "Bobby", "Before")
    with connection.cursor() as cursor:
        for trigger in sqlite_search.TRIGGERS:  # what a table rebuild leaves behind
            cursor.execute(f"DROP TRIGGER contacts_contact_search_{trigger}")
        cursor.execute("INSERT INTO contacts_contact_search(contacts_contact_search) VALUES ('delete-all')")
    assert found_by(world, "bobby") == set()  # the index no longer follows the table
    from django.apps import apps

    config = apps.get_app_config("contacts")
    post_migrate.send(
        sender=config, app_config=config, verbosity=0, interactive=False, using="default", apps=apps, plan=[]
    )
    after = make_contact(world.owner, "Bobby", "After")
    assert found_by(world, "bobby") == {before.pk, after.pk}
    assert sqlite_search.ensure(connection) == []  # nothing left to repair


def found_by(world, query: str) -> set[int]:
    qs = selectors.contact_list(world.owner, selectors.parse_filters({"search": query}))
    return set(qs.values_list("pk", flat=True))
