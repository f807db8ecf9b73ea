"""Duplicates and merging in the browser: two contacts sharing an e-mail found on the duplicates screen,
compared and merged with one value taken from the second; the possible-duplicates panel of the contact form
as the user types; “Merge selected” from the list; the screens right-to-left and at phone width."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import PHONE, assert_direction, assert_labelled, assert_no_horizontal_overflow
from playwright.sync_api import expect

from peyvand.accounts import services as account_services
from peyvand.contacts.models import Contact, Merge
from peyvand.contacts.tests.factories import make_company, make_contact

pytestmark = pytest.mark.e2e


@pytest.fixture
def iran(acme):
    """Acme with Iran as its country (national phone numbers)."""
    account_services.workspace_update(actor=acme.owner, workspace=acme.workspace, changes={"country": "IR"})
    acme.owner.workspace.refresh_from_db()
    return acme


def _twins(owner):
    company = make_company(owner, "Parsian Trading")
    first = make_contact(
        owner, "Sara", "Ahmadi", emails=["sara@parsian.example"], phones=["09121234567"], company=company
    )
    second = make_contact(
        owner,
        "Sara",
        "Ahmadi-Pour",
        emails=["SARA@parsian.example", "sara.home@example.com"],
        phones=["09351234567"],
        job_title="Chief Financial Officer",
    )
    return first, second


def test_merge_two_duplicates(site, iran, shot):
    first, second = _twins(iran.owner)
    page = site.open_page(iran.owner)
    page.goto("/contacts/")
    page.locator("#pv-duplicates-link").click()
    expect(page).to_have_url(re.compile(r"/contacts/duplicates/$"))
    pair = page.locator(f"#pv-duplicate-pairs tr[data-pair='{first.pk}-{second.pk}']")
    expect(pair).to_contain_text("Sara Ahmadi")
    expect(pair).to_contain_text("Sara Ahmadi-Pour")
    expect(pair).to_contain_text("Same e-mail address")
    pair.get_by_role("link", name="Compare and merge").click()

    expect(page).to_have_url(re.compile(rf"/contacts/merge/\?ids={first.pk},{second.pk}$"))
    assert_labelled(page)
    table = page.locator("#pv-merge-table")
    expect(table.locator(f"th[data-record='{first.pk}'] input[data-merge-survivor]")).to_be_checked()
    # The job title only the second has is taken by default; the last name is chosen from the second.
    job = table.locator(f"tr[data-field='job_title'] td[data-record='{second.pk}'] input")
    expect(job).to_be_checked()
    last_name = table.locator(f"tr[data-field='last_name'] td[data-record='{second.pk}'] input")
    expect(last_name).not_to_be_checked()
    table.locator(f"tr[data-field='last_name'] td[data-record='{second.pk}'] label").click()
    expect(last_name).to_be_checked()
    expect(table.locator("tr[data-field='phones']")).to_contain_text("0935 123 4567")
    expect(page.locator("#pv-merge-summary")).to_contain_text("recycle bin")
    shot(page, "merge-compare-en")
    page.locator("#pv-merge-submit").click()

    expect(page).to_have_url(re.compile(rf"/contacts/{first.pk}/$"))
    expect(page.locator("main h1")).to_have_text("Sara Ahmadi-Pour")
    expect(page.locator(".alert-success")).to_contain_text("restore the merged record from the recycle bin")
    phones = page.locator("#pv-contact-phones a")
    expect(phones).to_have_text(["0912 123 4567", "0935 123 4567"])
    expect(page.locator("#pv-contact-emails")).to_contain_text("sara.home@example.com")
    survivor = Contact.objects.get(pk=first.pk)
    assert survivor.last_name == "Ahmadi-Pour" and survivor.job_title == "Chief Financial Officer"
    assert survivor.company is not None and survivor.company.name == "Parsian Trading"
    assert not Contact.objects.filter(pk=second.pk).exists()
    assert Merge.objects.get().merged_id == second.pk

    # Restoring the merged record from the recycle bin undoes the merge.
    page.goto("/settings/recycle-bin/")
    page.locator(f"form[action$='/contact/{second.pk}/restore/'] button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("restored")
    page.goto(f"/contacts/{first.pk}/")
    expect(page.locator("main h1")).to_have_text("Sara Ahmadi")
    expect(page.locator("#pv-contact-phones a")).to_have_text(["0912 123 4567"])


def test_choosing_the_other_survivor_redraws_the_comparison(site, iran):
    first, second = _twins(iran.owner)
    page = site.open_page(iran.owner)
    page.goto(f"/contacts/{second.pk}/")
    page.locator("#pv-merge-with").click()
    expect(page.locator(f"#pv-merge-likely li[data-duplicate='{first.pk}']")).to_contain_text(
        "Same e-mail address"
    )
    page.locator(f"#pv-merge-likely li[data-duplicate='{first.pk}']").get_by_role(
        "link", name="Compare and merge"
    ).click()
    table = page.locator("#pv-merge-table")
    expect(table.locator(f"th[data-record='{second.pk}'] input[data-merge-survivor]")).to_be_checked()
    # Keep the first instead: the page is drawn again with its values as the defaults.
    table.locator(f"th[data-record='{first.pk}'] label").click()
    expect(page).to_have_url(re.compile(rf"survivor={first.pk}"))
    expect(table.locator(f"th[data-record='{first.pk}'] input[data-merge-survivor]")).to_be_checked()
    expect(table.locator(f"tr[data-field='last_name'] td[data-record='{first.pk}'] input")).to_be_checked()
    page.locator("#pv-merge-submit").click()
    expect(page).to_have_url(re.compile(rf"/contacts/{first.pk}/$"))
    expect(page.locator("main h1")).to_have_text("Sara Ahmadi")
    assert not Contact.objects.filter(pk=second.pk).exists()


def test_duplicates_panel_as_you_type_then_create_anyway(site, iran):
    first, _second = _twins(iran.owner)
    page = site.open_page(iran.owner)
    page.goto("/contacts/new/")
    page.fill("#id_first_name", "Sara")
    page.locator("#id_phones-0-value").press_sequentially("0912 123 4567", delay=20)
    panel = page.locator("#pv-duplicates")
    expect(panel.locator(f"li[data-duplicate='{first.pk}']")).to_contain_text("Same phone number")
    expect(panel.get_by_role("link", name="Sara Ahmadi")).to_have_attribute("href", f"/contacts/{first.pk}/")
    # Saving with the ordinary button still shows them first; “Create anyway” saves.
    page.locator("#pv-contact-form button[type=submit]", has_text="Create contact").click()
    expect(page.locator("#pv-duplicates-found")).to_be_visible()
    assert not Contact.objects.filter(first_name="Sara", last_name="").exists()
    expect(page.locator("#id_phones-0-value")).to_have_value("0912 123 4567")
    page.get_by_role("button", name="Create anyway").click()
    expect(page.locator(".alert-success")).to_contain_text("Contact created")
    assert Contact.objects.filter(first_name="Sara", last_name="").exists()


def test_merge_selected_from_the_list(site, iran):
    first, second = _twins(iran.owner)
    page = site.open_page(iran.owner)
    page.goto("/contacts/")
    page.locator(f"#pv-list tr[data-id='{second.pk}'] input[data-row-check]").check()
    page.locator(f"#pv-list tr[data-id='{first.pk}'] input[data-row-check]").check()
    page.locator("#pv-bulk-action").select_option("merge")
    page.locator("#pv-bulk button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/contacts/merge/\?ids="))
    expect(page.locator("#pv-merge-table thead th[data-record]")).to_have_count(2)
    page.locator("#pv-merge-submit").click()
    expect(page.locator(".alert-success")).to_contain_text("Merged 1 record")
    assert Contact.objects.count() == 1


@pytest.mark.parametrize("language", ["fa", "th"])
def test_merge_screens_right_to_left_and_at_phone_width(site, iran, language, shot):
    first, second = _twins(iran.owner)
    iran.owner.language = language
    iran.owner.save(update_fields=["language"])
    page = site.open_page(iran.owner, viewport=PHONE)
    for path in (
        "/contacts/duplicates/",
        f"/contacts/merge/?ids={first.pk},{second.pk}",
        f"/contacts/{first.pk}/merge/?q=Sara",
        "/companies/duplicates/",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert_direction(page, language)
        assert_labelled(page)
        assert_no_horizontal_overflow(page)
    page.goto(f"/contacts/merge/?ids={first.pk},{second.pk}")
    shot(page, f"merge-phone-{language}")
    page.goto("/contacts/new/")
    page.locator("#id_emails-0-value").press_sequentially("sara@parsian.example", delay=10)
    expect(page.locator(f"#pv-duplicates li[data-duplicate='{first.pk}']")).to_be_visible()
    assert_no_horizontal_overflow(page)
    shot(page, f"duplicates-panel-phone-{language}")
