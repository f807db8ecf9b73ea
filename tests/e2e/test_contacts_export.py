"""Exports in the browser: the contact list's Export menu downloads the list as filtered, with its columns, as a
CSV that keeps Persian text and neutralizes formulas; a Persian reader gets Persian headers; the contact page
downloads a vCard; a role without the export permission sees no menu and is refused the address."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from peyvand.accounts import services as account_services
from peyvand.contacts.importing.vcard import read_cards
from peyvand.contacts.tests.factories import make_contact
from peyvand.core.models import Tag

pytestmark = pytest.mark.e2e

BOM = b"\xef\xbb\xbf"


@pytest.fixture
def iran(acme):
    """Acme with Iran as its country, so 0912… numbers are Iranian."""
    account_services.workspace_update(actor=acme.owner, workspace=acme.workspace, changes={"country": "IR"})
    acme.owner.workspace.refresh_from_db()
    return acme


def _download(page, selector: str):
    with page.expect_download() as info:
        page.locator(selector).click()
    return info.value


def _csv(path: str) -> list[list[str]]:
    data = Path(path).read_bytes()
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_export_menu_downloads_the_filtered_list(site, iran, shot):
    sara = make_contact(iran.owner, "سارا", "احمدی", phones=["09121234567"], tags=["VIP"])
    make_contact(iran.owner, "=1+1", "Formula", tags=["VIP"])
    make_contact(iran.owner, "Bob", "Elsewhere", tags=["Other"])
    vip = Tag.objects.get(workspace=iran.workspace, name="VIP")

    page = site.open_page(iran.owner)
    page.goto(f"/contacts/?tag={vip.pk}&columns=phone&columns=tags")
    page.locator("#pv-export").click()
    expect(page.locator("a[data-export]")).to_have_count(3)
    expect(page.locator("a[data-export=csv]")).to_be_visible()
    shot(page, "contacts-export-menu")
    download = _download(page, "a[data-export=csv]")
    assert re.fullmatch(r"contacts-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    rows = _csv(download.path())
    assert rows[0] == ["ID", "First name", "Last name", "Phone", "Tags"]
    by_name = {row[1]: row for row in rows[1:]}
    assert set(by_name) == {"سارا", "'=1+1"}  # the filter applies; the formula is neutralized
    assert by_name["سارا"] == [str(sara.pk), "سارا", "احمدی", "'+989121234567", "VIP"]

    # The Excel download holds the same list.
    page.locator("#pv-export").click()
    download = _download(page, "a[data-export=xlsx]")
    assert download.suggested_filename.endswith(".xlsx")
    assert Path(download.path()).read_bytes()[:2] == b"PK"


def test_persian_reader_exports_persian_headers_and_a_vcard(site, iran):
    iran.owner.language = "fa"
    iran.owner.save(update_fields=["language"])
    sara = make_contact(iran.owner, "سارا", "احمدی", phones=["09121234567"], emails=["sara@example.com"])

    page = site.open_page(iran.owner)
    page.goto("/contacts/?columns=phone")
    page.locator("#pv-export").click()
    rows = _csv(_download(page, "a[data-export=csv]").path())
    assert rows[0][1] != "First name" and rows[0][1] == "نام"
    assert rows[1][1:3] == ["سارا", "احمدی"]

    page.goto(f"/contacts/{sara.pk}/")
    download = _download(page, "#pv-contact-vcard")
    assert download.suggested_filename.endswith(".vcf")
    text = Path(download.path()).read_text(encoding="utf-8")
    ((_number, card, _error),) = list(read_cards(io.StringIO(text)))
    assert (card["first_name"], card["last_name"]) == ("سارا", "احمدی")
    assert [number for number, _label, _pref in card["phone"]] == ["+989121234567"]


def test_a_role_without_export_sees_no_menu_and_is_refused(site, iran):
    make_contact(iran.owner, "Sara", "Ahmadi")
    page = site.open_page(iran.rep)  # sales reps view all contacts but may not export
    page.goto("/contacts/")
    expect(page.locator("#pv-list")).to_be_visible()
    expect(page.locator("#pv-export")).to_have_count(0)
    page.pv_watch.expect_status(403)
    response = page.goto("/contacts/export/?format=csv")
    assert response is not None and response.status == 403
