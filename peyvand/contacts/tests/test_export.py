"""Exports of contacts and companies (CSV, XLSX, vCard) through the API, the web screens and the command
line: who may export which rows, hidden fields, formula injection, encodings, columns, saved views, audit
and events, query counts, and headers that map back on import."""

from __future__ import annotations

import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from peyvand import cli
from peyvand.accounts import services as account_services
from peyvand.contacts import exporting, selectors, services
from peyvand.contacts.importing.mapping import auto_map
from peyvand.contacts.importing.readers import open_table
from peyvand.contacts.importing.vcard import read_cards
from peyvand.contacts.models import Contact, LifecycleStage
from peyvand.contacts.saved_views import saved_view_create
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.core import customfields
from peyvand.core.models import AuditEntry, OutboxEvent
from peyvand.core.text import normalize_compact

pytestmark = pytest.mark.django_db

API = "/api/v1"
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def shop(world):
    """Acme (Iran) with custom fields, a company, and contacts owned across teams: Sara (Persian, owned by
    a rep of team North), Somchai (Thai, the rep's teammate), a contact full of formulas (the owner's), one
    of team South, and one in the other workspace."""
    account_services.workspace_update(actor=world.owner, workspace=world.workspace, changes={"country": "IR"})
    for member in (world.owner, world.manager, world.rep, world.read_only):
        member.workspace.refresh_from_db()
    services.lifecycle_ensure_defaults(world.workspace.pk)
    world.lead = LifecycleStage.objects.get(workspace=world.workspace, key="lead")
    customfields.custom_field_create(
        actor=world.owner,
        data={
            "entity": "contact",
            "key": "level",
            "label": "Level",
            "field_type": "choice",
            "choices": [{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}],
        },
    )
    customfields.custom_field_create(
        actor=world.owner,
        data={"entity": "contact", "key": "secret", "label": "Secret", "field_type": "text"},
    )
    customfields.custom_field_create(
        actor=world.owner,
        data={"entity": "contact", "key": "premium", "label": "Premium", "field_type": "boolean"},
    )
    world.company = make_company(world.owner, "پارسیان", phones=["02112345678"], domain="parsian.example")
    world.sara = make_contact(
        world.owner,
        "سارا",
        "احمدی",
        owner=world.rep,
        emails=["sara@example.com", {"email": "sara.home@example.com", "label": "home"}],
        phones=["09121234567", "+66 81 234 5678"],
        company=world.company,
        job_title="مدیر فروش",
        lifecycle_stage=world.lead,
        tags=["VIP", "North"],
        birthday=datetime.date(1990, 3, 21),
        addresses=[{"label": "home", "street": "ولیعصر ۱۲", "city": "تهران", "country": "IR"}],
        custom={"level": "gold", "secret": "s3cr3t", "premium": True},
    )
    world.somchai = make_contact(
        world.owner, "สมชาย", "ใจดี", owner=world.teammate, phones=["+66 2 123 4567"], tags=["North"]
    )
    world.formulas = make_contact(
        world.owner,
        '=HYPERLINK("http://evil.example","x")',
        "@SUM(1+1)",
        job_title="+1+1",
        source="-2+3",
        emails=["formula@example.com"],
    )
    world.outsider = make_contact(world.owner, "Olga", "South", owner=world.outsider_rep)
    world.stranger = make_contact(world.other_owner, "Other", "Workspace")
    return world


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_rows(data: bytes) -> list[list[str]]:
    """The first sheet's rows as text; empty cells (not written) read as "" up to the header's width."""
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    width = len(rows[0]) if rows else 0
    return [row + [""] * (width - len(row)) for row in rows]


def by_id(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    header = rows[0]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}


def export(client, entity="contacts", **params):
    return client.get(f"{API}/{entity}/export", params)


# ---------------------------------------------------------------- permissions


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("admin", 200), ("manager", 200), ("rep", 403), ("read_only", 403), (None, 401)],
)
def test_api_export_needs_the_export_permission(shop, api_client_for, who, status):
    client = api_client_for(getattr(shop, who) if who else None)
    for entity in ("contacts", "companies"):
        response = export(client, entity)
        assert response.status_code == status, response.content
    assert AuditEntry.objects.filter(action="export").exists() is (status == 200)


def test_team_export_scope_limits_rows_even_when_the_member_sees_all(shop, api_client_for):
    everything = by_id(csv_rows(body(export(api_client_for(shop.owner)))))
    assert set(everything) == {str(c.pk) for c in (shop.sara, shop.somchai, shop.formulas, shop.outsider)}
    team = by_id(csv_rows(body(export(api_client_for(shop.manager)))))
    assert set(team) == {str(shop.sara.pk), str(shop.somchai.pk)}  # the manager sees all, exports North's
    assert selectors.contact_list(shop.manager, selectors.ListFilters()).count() == 4


def test_vcard_of_one_contact_permissions(shop, api_client_for, web_client_for):
    path = f"{API}/contacts/{shop.sara.pk}/vcard"
    assert api_client_for(shop.owner).get(path).status_code == 200
    assert api_client_for(shop.rep).get(path).status_code == 403  # sees it, may not export
    assert api_client_for(shop.other_owner).get(path).status_code == 404  # another workspace
    assert api_client_for(shop.owner).get(f"{API}/contacts/{shop.stranger.pk}/vcard").status_code == 404
    url = reverse("contacts:contact_vcard", args=[shop.sara.pk])
    assert web_client_for(shop.owner).get(url).status_code == 200
    assert web_client_for(shop.rep).get(url).status_code == 403
    assert web_client_for(shop.other_owner).get(url).status_code == 404


def test_web_list_offers_export_only_to_who_may_export(shop, web_client_for):
    owner = web_client_for(shop.owner)
    page = owner.get(reverse("contacts:contact_list"), {"tag": "1", "columns": "phone"}).content.decode()
    assert 'id="pv-export"' in page
    links = re.findall(r'href="([^"]+)" data-export="(\w+)"', page)
    assert [kind for _href, kind in links] == ["csv", "xlsx", "vcf"]
    assert all("tag=1" in href and "columns=phone" in href for href, _kind in links)
    companies = owner.get(reverse("contacts:company_list")).content.decode()
    assert re.findall(r'data-export="(\w+)"', companies) == ["csv", "xlsx"]
    detail = owner.get(reverse("contacts:contact_detail", args=[shop.sara.pk])).content.decode()
    assert reverse("contacts:contact_vcard", args=[shop.sara.pk]) in detail

    reader = web_client_for(shop.read_only)
    assert 'id="pv-export"' not in reader.get(reverse("contacts:contact_list")).content.decode()
    detail = reader.get(reverse("contacts:contact_detail", args=[shop.sara.pk])).content.decode()
    assert "/vcard/" not in detail
    assert reader.get(reverse("contacts:contact_export"), {"format": "csv"}).status_code == 403
    assert reader.get(reverse("contacts:company_export"), {"format": "xlsx"}).status_code == 403


def test_web_export_follows_the_list_query(shop, web_client_for):
    client = web_client_for(shop.owner)
    north = shop.sara.tags.get(name="North")
    response = client.get(
        reverse("contacts:contact_export"),
        {"format": "csv", "tag": north.pk, "columns": "tags,phone", "ordering": "-created_at"},
    )
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    rows = csv_rows(body(response))
    assert rows[0] == ["ID", "First name", "Last name", "Tags", "Phone"]
    assert [row[0] for row in rows[1:]] == [str(shop.somchai.pk), str(shop.sara.pk)]  # newest first
    # Invalid filters go back to the list, which shows the problem.
    back = client.get(reverse("contacts:contact_export"), {"format": "csv", "ordering": "shoe size"})
    assert back.status_code == 302 and back["Location"].startswith(reverse("contacts:contact_list"))
    assert "format=" not in back["Location"]


# ---------------------------------------------------------------- hidden fields


def test_hidden_fields_appear_in_no_format(shop, api_client_for):
    rules = {
        "contact": {"emails": "hidden", "birthday": "hidden", "custom.secret": "hidden", "tags": "hidden"}
    }
    account_services.role_update(actor=shop.owner, role=shop.manager.role, changes={"field_rules": rules})
    client = api_client_for(shop.manager)
    secrets = [b"sara@example.com", b"1990-03-21", b"19900321", b"s3cr3t", b"VIP"]
    for params in ({}, {"columns": "email,birthday,custom.secret,tags,phone"}):
        for kind in ("csv", "xlsx", "vcf"):
            response = export(client, format=kind, **params)
            assert response.status_code == 200, response.content
            data = body(response)
            if kind == "xlsx":
                rows = xlsx_rows(data)
                text = "\n".join(",".join(row) for row in rows).encode()
            else:
                text = data
                rows = csv_rows(data) if kind == "csv" else []
            for secret in secrets:
                assert secret not in text, (kind, params, secret)
            if rows:
                header = rows[0]
                assert not {"E-mail", "Birthday", "Secret", "Tags"} & set(header)
                assert "Phone" in header and "First name" in header
    card = body(api_client_for(shop.manager).get(f"{API}/contacts/{shop.sara.pk}/vcard"))
    assert b"sara@example.com" not in card and b"BDAY" not in card and b"CATEGORIES" not in card
    assert b"+989121234567" in card


def test_a_hidden_company_name_is_not_exported_with_contacts(shop, api_client_for):
    rules = {"company": {"name": "hidden"}}
    account_services.role_update(actor=shop.owner, role=shop.manager.role, changes={"field_rules": rules})
    data = body(export(api_client_for(shop.manager), columns="company"))
    assert "پارسیان".encode() not in data
    assert "پارسیان".encode() not in body(export(api_client_for(shop.manager), format="vcf"))
    companies = csv_rows(body(export(api_client_for(shop.manager), "companies")))
    assert "Name" not in companies[0]


# ---------------------------------------------------------------- formula injection and encodings


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"])
def test_neutralize_prefixes_formula_starts(first):
    assert exporting.neutralize(f"{first}1+1") == f"'{first}1+1"


@pytest.mark.parametrize("text", ["", "Sara", "سارا", "1+1", "'=quoted", " =spaced", "a=b"])
def test_neutralize_keeps_plain_text(text):
    assert exporting.neutralize(text) == text


def test_xlsx_cells_keep_what_xml_can_carry():
    rows = [["A", "B"], ["  padded  ", "<b>&amp;\x01\x1f\n two lines"], ["x" * 40000, ""]]
    handle = io.BytesIO()
    assert exporting.write_xlsx(rows, handle, title="Odd: [name]/?") == 2
    sheet = openpyxl.load_workbook(io.BytesIO(handle.getvalue())).active
    assert sheet.title == "Odd name"
    assert sheet["A2"].value == "  padded  " and sheet["B2"].value == "<b>&amp;\n two lines"
    assert len(sheet["A3"].value) == 32767 and sheet["B3"].value is None


def test_formulas_are_neutralized_in_csv_and_xlsx(shop, api_client_for):
    customfields.custom_field_create(
        actor=shop.owner, data={"entity": "contact", "key": "calc", "label": "=Calc", "field_type": "text"}
    )
    client = api_client_for(shop.owner)
    columns = "phone,job_title,source,custom.calc"
    csv_data = csv_rows(body(export(client, columns=columns)))
    xlsx_data = xlsx_rows(body(export(client, format="xlsx", columns=columns)))
    assert csv_data == xlsx_data
    rows = by_id(csv_data)
    evil = rows[str(shop.formulas.pk)]
    assert evil["First name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert evil["Last name"] == "'@SUM(1+1)"
    assert evil["Job title"] == "'+1+1" and evil["Source"] == "'-2+3"
    assert csv_data[0][-1] == "'=Calc"  # a header is a cell too
    # E.164 numbers start with "+": prefixed too, so a spreadsheet keeps them as text, not a sum.
    assert rows[str(shop.sara.pk)]["Phone"] == "'+989121234567; +66812345678"
    for row in csv_data:
        assert not any(cell[:1] in exporting.FORMULA_STARTS for cell in row)
    sheet = openpyxl.load_workbook(io.BytesIO(body(export(client, format="xlsx"))), read_only=False).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_csv_has_a_bom_crlf_and_keeps_persian_and_thai(shop, api_client_for, tmp_path):
    data = body(export(api_client_for(shop.owner)))
    assert data.startswith(BOM)
    assert b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n")
    text = data.decode("utf-8-sig")
    assert "سارا" in text and "احمدی" in text and "สมชาย" in text and "ใจดี" in text and "پارسیان" in text
    path = tmp_path / "contacts.csv"
    path.write_bytes(data)
    table = open_table(path, path.name)  # Peyvand's own import reader takes it as it is
    assert table.info.encoding.replace("-", "").lower().startswith("utf8")
    assert table.info.headers[:3] == ["ID", "First name", "Last name"]
    names = {row[1] for _number, row in table.rows()}
    assert {"سارا", "สมชาย"} <= names


def test_xlsx_holds_the_csv_rows_right_to_left_for_persian(shop, api_client_for, tmp_path):
    client = api_client_for(shop.owner)
    csv_data = csv_rows(body(export(client)))
    response = export(client, format="xlsx")
    assert response["Content-Type"] == exporting.CONTENT_TYPES["xlsx"]
    assert response["Content-Disposition"].endswith('.xlsx"')
    data = body(response)
    assert xlsx_rows(data) == csv_data
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Contacts" and sheet.freeze_panes == "A2" and not sheet.sheet_view.rightToLeft
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row if cell.value is not None)
    path = tmp_path / "contacts.xlsx"
    path.write_bytes(data)
    table = open_table(path, path.name)  # Peyvand's own import reader (with its zip-bomb check)
    assert table.info.headers == csv_data[0]
    width = len(csv_data[0])  # a row's trailing empty cells are not written, nor read back
    assert [row + [""] * (width - len(row)) for _number, row in table.rows()] == csv_data[1:]
    shop.owner.language = "fa"
    shop.owner.save(update_fields=["language"])
    workbook = openpyxl.load_workbook(io.BytesIO(body(export(api_client_for(shop.owner), format="xlsx"))))
    assert workbook.active.sheet_view.rightToLeft


# ---------------------------------------------------------------- values and columns


def test_full_export_has_every_visible_field_as_readable_text(shop, api_client_for):
    rows = csv_rows(body(export(api_client_for(shop.owner))))
    header = rows[0]
    assert header[:3] == ["ID", "First name", "Last name"]
    assert {
        "E-mail",
        "Phone",
        "Company",
        "Owner",
        "Lifecycle stage",
        "Tags",
        "Birthday",
        "Street",
        "Created",
    } <= set(header)
    assert header[-3:] == ["Level", "Secret", "Premium"]  # custom fields by their labels, in their order
    sara = by_id(rows)[str(shop.sara.pk)]
    assert sara["E-mail"] == "sara@example.com; sara.home@example.com"
    assert sara["Company"] == "پارسیان" and sara["Job title"] == "مدیر فروش"
    assert sara["Owner"] == shop.rep.user.full_name
    assert sara["Lifecycle stage"] == "Lead" and sara["Tags"] == "North; VIP"
    assert sara["Birthday"] == "1990-03-21"
    assert sara["Street"] == "ولیعصر ۱۲" and sara["City"] == "تهران"
    assert sara["Level"] == "Gold" and sara["Secret"] == "s3cr3t" and sara["Premium"] == "Yes"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", sara["Created"])


def test_columns_follow_the_columns_parameter(shop, api_client_for):
    client = api_client_for(shop.owner)
    rows = csv_rows(body(export(client, columns=["phone,custom.level", "tags", "unknown", "phone"])))
    assert rows[0] == ["ID", "First name", "Last name", "Phone", "Level", "Tags"]
    sara = by_id(rows)[str(shop.sara.pk)]
    assert sara["Level"] == "Gold" and sara["Tags"] == "North; VIP"
    # The web list's chooser sends an empty value: only the id and the names remain.
    assert csv_rows(body(export(client, columns="")))[0] == ["ID", "First name", "Last name"]


def test_headers_are_in_the_members_language(shop, api_client_for):
    shop.owner.language = "fa"
    shop.owner.save(update_fields=["language"])
    header = csv_rows(body(export(api_client_for(shop.owner), columns="phone,lifecycle_stage")))[0]
    with translation.override("fa"):
        expected = [
            str(c.label) for c in exporting.CONTACT_COLUMNS if c.key in ("id", "first_name", "last_name")
        ]
        expected += [str(translation.gettext("Phone")), str(translation.gettext("Lifecycle stage"))]
    assert header == expected


def test_company_export(shop, api_client_for):
    make_company(shop.owner, "Kish Trading", parent=shop.company, employees=12, annual_revenue="1500.50")
    client = api_client_for(shop.owner)
    rows = by_id(csv_rows(body(export(client, "companies", columns="phone,parent,employees,annual_revenue"))))
    parsian = rows[str(shop.company.pk)]
    assert parsian["Name"] == "پارسیان" and parsian["Phone"] == "'+982112345678"
    kish = next(row for row in rows.values() if row["Name"] == "Kish Trading")
    assert kish["Parent company"] == "پارسیان"
    assert kish["Employees"] == "12" and kish["Annual revenue"] == "1500.50"
    refused = export(client, "companies", format="vcf")
    assert refused.status_code == 422 and "format" in refused.json()["fields"]
    assert export(client, format="pdf").status_code == 422
    assert export(client, ordering="shoe size").status_code == 422


@pytest.mark.parametrize("language", ["en", "fa", "th"])
@pytest.mark.parametrize("entity", ["contact", "company"])
def test_exported_headers_map_back_on_import(shop, language, entity):
    """Every exported column the importer knows maps to its own field; the others map to nothing."""
    customfields.custom_field_create(
        actor=shop.owner, data={"entity": "company", "key": "size", "label": "Size", "field_type": "text"}
    )
    shop.owner.language = language
    columns = exporting.export_columns(shop.owner, entity, None)
    header = next(exporting.export_rows(shop.owner, entity, selectors.ListFilters()))
    definitions = customfields.definitions(shop.workspace.pk, entity)
    custom_keys = {normalize_compact(d.label): d.path for d in definitions}
    mapped = auto_map(header, entity, custom_keys)
    assert mapped == [c.target for c in columns], list(zip(header, mapped, strict=True))
    assert {c.key for c in columns} >= {c.key for c in exporting.FIXED_COLUMNS[entity]}


# ---------------------------------------------------------------- vCard


def test_vcards_read_back(shop, api_client_for):
    response = export(api_client_for(shop.owner), format="vcf")
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    cards = {row["external_id"]: row for _n, row, error in read_cards(io.StringIO(body(response).decode()))}
    assert len(cards) == 4
    sara = cards[str(shop.sara.pk)]
    assert (sara["first_name"], sara["last_name"]) == ("سارا", "احمدی")
    assert sara["email"][0] == ("sara@example.com", "", True)
    assert [number for number, _label, _pref in sara["phone"]] == ["+989121234567", "+66812345678"]
    assert sara["company"] == "پارسیان" and sara["job_title"] == "مدیر فروش"
    assert sara["birthday"] == "1990-03-21" and sorted(sara["tags"]) == ["North", "VIP"]
    assert sara["city"] == "تهران"
    single = api_client_for(shop.owner).get(f"{API}/contacts/{shop.somchai.pk}/vcard")
    assert single["Content-Disposition"].startswith("attachment;")
    ((_n, row, _error),) = list(read_cards(io.StringIO(body(single).decode())))
    assert (row["first_name"], row["last_name"]) == ("สมชาย", "ใจดี")


# ---------------------------------------------------------------- saved views


def test_a_saved_view_applies_with_the_viewers_permissions(shop, api_client_for):
    view = saved_view_create(
        actor=shop.owner,
        entity="contact",
        name="Thai people",
        query="search=สมชาย&columns=phone&ordering=-created_at",
        shared=True,
    )
    client = api_client_for(shop.owner)
    response = export(client, view=view.pk)
    assert response.status_code == 200
    assert "contacts-thai-people-" in response["Content-Disposition"]
    rows = csv_rows(body(response))
    assert rows[0] == ["ID", "First name", "Last name", "Phone"]
    assert [row[0] for row in rows[1:]] == [str(shop.somchai.pk)]
    # Parameters given with the view replace the view's own.
    assert csv_rows(body(export(client, view=view.pk, columns="tags")))[0][-1] == "Tags"
    private = saved_view_create(actor=shop.outsider_rep, entity="contact", name="Mine", query="search=x")
    assert export(client, view=private.pk).status_code == 404
    companies = saved_view_create(actor=shop.owner, entity="company", name="Firms", query="")
    assert export(client, view=companies.pk).status_code == 422
    # Shared with the manager, the view still exports only what the manager may export.
    assert len(csv_rows(body(export(api_client_for(shop.manager), view=view.pk)))) == 2


# ---------------------------------------------------------------- audit and events


def test_every_export_is_audited_and_announced(shop, api_client_for, web_client_for):
    client = api_client_for(shop.manager)
    body(export(client, format="xlsx", columns="phone", search="سارا"))
    entry = AuditEntry.objects.get(action="export")
    assert (entry.entity, entry.record_id, entry.actor_id, entry.channel) == (
        "contact",
        "",
        shop.manager.pk,
        "api",
    )
    assert entry.changes["format"] == [None, "xlsx"] and entry.changes["rows"] == [None, 1]
    assert "columns=phone" in entry.changes["query"][1] and "search=" in entry.changes["query"][1]
    event = OutboxEvent.objects.get(name="contact.exported")
    assert event.workspace_id == shop.workspace.pk and event.payload["rows"] == 1
    body(web_client_for(shop.owner).get(reverse("contacts:company_export"), {"format": "csv"}))
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert (entry.entity, entry.channel, entry.changes["rows"]) == ("company", "ui", [None, 1])
    assert OutboxEvent.objects.filter(name="company.exported").count() == 1
    api_client_for(shop.owner).get(f"{API}/contacts/{shop.sara.pk}/vcard")
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert (entry.entity, entry.record_id, entry.changes["format"]) == (
        "contact",
        str(shop.sara.pk),
        [None, "vcf"],
    )
    assert OutboxEvent.objects.filter(name="contact.exported").count() == 2


def test_refused_exports_leave_no_trace(shop, api_client_for):
    assert export(api_client_for(shop.rep)).status_code == 403
    assert export(api_client_for(shop.owner), ordering="bad").status_code == 422
    assert not AuditEntry.objects.filter(action="export").exists()
    assert not OutboxEvent.objects.filter(name__endswith=".exported").exists()


# ---------------------------------------------------------------- queries and chunks


def _add_contacts(world, count: int, company) -> None:
    for number in range(count):
        make_contact(
            world.manager,
            f"Person{number}",
            "Bulk",
            owner=world.rep,
            emails=[f"p{number}@example.com"],
            phones=[f"0912000{number:04d}"],
            company=company,
            tags=["Bulk", "North"],
            custom={"level": "silver"},
        )


def test_export_queries_do_not_grow_with_rows(shop, api_client_for, django_assert_max_num_queries):
    client = api_client_for(shop.manager)

    def queries(kind: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = export(client, format=kind, tag=shop.sara.tags.get(name="North").pk)
            assert response.status_code == 200
            body(response)
        return len(captured)

    _add_contacts(shop, 8, shop.company)  # with Sara and Somchai: 10 rows
    queries("csv")  # the token's first use fills its cache
    small = {kind: queries(kind) for kind in ("csv", "xlsx", "vcf")}
    _add_contacts(shop, 90, shop.company)  # 100 rows
    north = shop.sara.tags.get(name="North").pk
    for kind in ("csv", "xlsx", "vcf"):
        with django_assert_max_num_queries(small[kind]):
            data = body(export(client, format=kind, tag=north))
        if kind == "vcf":
            assert data.count(b"BEGIN:VCARD") == 100
        else:
            assert len(xlsx_rows(data) if kind == "xlsx" else csv_rows(data)) == 101


def test_chunks_cover_every_row_once_in_list_order(shop):
    _add_contacts(shop, 23, None)
    for ordering in ("name", "-name", "created_at", "-updated_at"):
        filters = selectors.ListFilters(ordering=ordering)
        rows = list(exporting.export_rows(shop.owner, "contact", filters, ["email"], chunk_size=5))
        queryset = exporting.export_queryset(shop.owner, "contact", filters)
        field = selectors.CONTACT_ORDERINGS[ordering]
        expected = [
            str(pk)
            for pk in queryset.order_by(field, "-id" if field.startswith("-") else "id").values_list(
                "pk", flat=True
            )
        ]
        assert [row[0] for row in rows[1:]] == expected


# ---------------------------------------------------------------- command line


def test_cli_export(shop, tmp_path, capsys):
    path = tmp_path / "all.csv"
    assert cli.main(["export", "contacts", "--workspace", "Acme", "--format", "csv", "-o", str(path)]) == 0
    assert capsys.readouterr().out == f"4 contacts written to {path}\n"
    assert len(csv_rows(path.read_bytes())) == 5
    entry = AuditEntry.objects.get(action="export")
    assert (entry.actor_id, entry.channel) == (shop.owner.pk, "system")

    view = saved_view_create(
        actor=shop.owner, entity="contact", name="Thai", query="search=สมชาย", shared=True
    )
    as_manager = tmp_path / "team.xlsx"
    arguments = ["export", "contacts", "--workspace", str(shop.workspace.pk), "--as", shop.manager.user.email]
    assert cli.main([*arguments, "--format", "xlsx", "-o", str(as_manager)]) == 0
    assert {row[0] for row in xlsx_rows(as_manager.read_bytes())[1:]} == {
        str(shop.sara.pk),
        str(shop.somchai.pk),
    }
    cards = tmp_path / "thai.vcf"
    assert cli.main([*arguments, "--view", str(view.pk), "--format", "vcf", "-o", str(cards)]) == 0
    assert [row["first_name"] for _n, row, _e in read_cards(io.StringIO(cards.read_text()))] == ["สมชาย"]
    companies = tmp_path / "companies.csv"
    assert (
        cli.main(["export", "companies", "--workspace", "Acme", "--format", "csv", "-o", str(companies)]) == 0
    )
    assert csv_rows(companies.read_bytes())[1][1] == "پارسیان"
    capsys.readouterr()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["contacts", "--workspace", "Nowhere"], "peyvand: error: no workspace 'Nowhere'"),
        (
            ["contacts", "--workspace", "Acme", "--as", "ghost@example.com"],
            "ghost@example.com is not an active",
        ),
        (["companies", "--workspace", "Acme", "--format", "vcf"], "vCard holds people"),
        (["contacts", "--workspace", "Acme", "--view", "999999"], "Saved view not found."),
    ],
)
def test_cli_export_errors_are_one_line(shop, tmp_path, capsys, arguments, message):
    if "--format" not in arguments:
        arguments = [*arguments, "--format", "csv"]
    path = tmp_path / "out.csv"
    assert cli.main(["export", *arguments, "-o", str(path)]) == 1
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert not path.exists() and not list(tmp_path.iterdir())


def test_cli_export_respects_the_members_permissions(shop, tmp_path, capsys):
    path = tmp_path / "rep.csv"
    arguments = ["export", "contacts", "--workspace", "Acme", "--as", shop.rep.user.email, "--format", "csv"]
    assert cli.main([*arguments, "-o", str(path)]) == 1
    assert capsys.readouterr().err == "peyvand: error: Your role may not export contacts.\n"
    assert not path.exists() and not Contact.objects.filter(first_name="").exists()
