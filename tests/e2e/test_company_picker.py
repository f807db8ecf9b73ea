"""Browser tests of the company type-ahead picker: type part of a name, pick a suggestion (mouse or
keyboard), save, and the company is on the contact's page; the list's company filter; the parent picker
leaving out the company's own tree; Persian (right to left) at phone width."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import PHONE, assert_direction, assert_labelled, assert_no_horizontal_overflow
from playwright.sync_api import Page, expect

from peyvand.contacts import services
from peyvand.contacts.models import Company, Contact
from peyvand.contacts.tests.factories import make_company, make_contact

pytestmark = pytest.mark.e2e


def _many(member, count: int) -> None:
    """`count` companies "Firm 0000"… ahead of the ones a test picks, so they are far past any short list."""
    rows = []
    for index in range(count):
        company = Company(workspace_id=member.workspace_id, owner=member, name=f"Firm {index:04d}")
        services.company_derive(company, language=member.workspace.language, defs=[])
        rows.append(company)
    Company.objects.bulk_create(rows)


def _speak(member, language: str) -> None:
    member.language = language
    member.save(update_fields=["language"])


def _suggestions(page: Page, select_id: str):
    return page.locator(f"#{select_id}-listbox [role=option]")


def test_pick_a_company_by_typing_then_save(site, acme, shot):
    _many(acme.owner, 600)
    kish = make_company(acme.owner, "Parsian Kish")
    make_company(acme.owner, "Parsian Trading")
    page = site.open_page(acme.owner)
    page.goto("/contacts/new/")
    assert_labelled(page)
    expect(page.locator("#id_company")).to_be_hidden()
    search = page.get_by_role("combobox", name="Company")
    expect(search).to_have_attribute("aria-expanded", "false")
    page.fill("#id_first_name", "Nima")
    page.fill("#id_last_name", "Picker")
    search.press_sequentially("pars", delay=30)
    options = _suggestions(page, "id_company")
    expect(options).to_have_text(["Parsian Kish", "Parsian Trading"])
    expect(search).to_have_attribute("aria-expanded", "true")
    shot(page, "company-picker-en")
    # Keyboard: the first match is marked, ↓ marks the next, Enter picks it (and does not send the form).
    expect(options.first).to_have_attribute("aria-selected", "true")
    search.press("ArrowDown")
    expect(search).to_have_attribute("aria-activedescendant", "id_company-option-1")
    search.press("ArrowUp")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/contacts/new/$"))
    expect(search).to_have_value("Parsian Kish")
    expect(search).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#id_company")).to_have_value(str(kish.pk))
    # Typing something else and leaving puts the choice back; Escape closes the suggestions.
    search.fill("")
    search.press_sequentially("zzz", delay=20)
    expect(page.locator("#id_company-listbox")).to_contain_text("No company matches.")
    search.press("Escape")
    expect(search).to_have_attribute("aria-expanded", "false")
    page.locator("#id_job_title").click()
    expect(search).to_have_value("Parsian Kish")
    page.locator("#pv-contact-form button[type=submit]").first.click()

    expect(page.locator("main h1")).to_have_text("Nima Picker")
    expect(page.locator("#pv-contact-company")).to_have_text("Parsian Kish")
    assert Contact.objects.get(first_name="Nima").company_id == kish.pk

    # Company #601 by name, far past the old 500-option list, is one search away in the list's filter.
    make_contact(acme.owner, "Other", "Person", company=Company.objects.get(name="Firm 0000"))
    page.goto("/contacts/")
    page.get_by_role("button", name="More filters").click()
    filter_search = page.locator("#id_company-search")
    expect(page.locator("#id_company option")).to_have_count(1)
    filter_search.click()
    expect(_suggestions(page, "id_company").first).to_have_text("Any")
    filter_search.press_sequentially("kish", delay=20)
    _suggestions(page, "id_company").filter(has_text="Parsian Kish").click()
    expect(filter_search).to_have_value("Parsian Kish")
    page.locator("#pv-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"[?&]company={kish.pk}(&|$)"))
    expect(page.locator("#pv-list tbody tr")).to_have_count(1)
    expect(page.locator("#pv-list")).to_contain_text("Nima Picker")
    expect(page.locator("#id_company-search")).to_have_value("Parsian Kish")


def test_parent_picker_leaves_out_the_company_and_its_subsidiaries(site, acme):
    group = make_company(acme.owner, "Group Holding")
    child = make_company(acme.owner, "Group Child", parent=group)
    make_company(acme.owner, "Group Grandchild", parent=child)
    other = make_company(acme.owner, "Group Partner")
    page = site.open_page(acme.owner)
    page.goto(f"/companies/{group.pk}/edit/")
    assert_labelled(page)
    search = page.get_by_role("combobox", name="Parent company")
    search.press_sequentially("group", delay=20)
    expect(_suggestions(page, "id_parent")).to_have_text(["Group Partner"])
    _suggestions(page, "id_parent").first.click()
    page.locator("#pv-company-form button[type=submit]").first.click()
    expect(page.locator("main h1")).to_have_text("Group Holding")
    group.refresh_from_db()
    assert group.parent_id == other.pk


def test_persian_at_phone_width(site, acme, shot):
    _speak(acme.owner, "fa")
    _many(acme.owner, 30)
    tehran = make_company(acme.owner, "پارسیان تجارت تهران")
    make_company(acme.owner, "ایران خودرو")
    page = site.open_page(acme.owner, viewport=PHONE)
    page.goto("/contacts/new/")
    assert_direction(page, "fa")
    assert_labelled(page)
    page.fill("#id_first_name", "سارا")
    search = page.locator("#id_company-search")
    expect(search).to_have_attribute("role", "combobox")
    search.press_sequentially("پارسيان", delay=30)  # typed with the Arabic yeh
    option = _suggestions(page, "id_company")
    expect(option).to_have_text(["پارسیان تجارت تهران"])
    box = page.locator("#id_company-listbox").bounding_box()
    field = search.bounding_box()
    assert box is not None and field is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert abs(box["x"] - field["x"]) < 1 and abs(box["width"] - field["width"]) < 1  # under the input
    assert_no_horizontal_overflow(page)
    shot(page, "company-picker-fa-phone")
    option.first.click()
    expect(search).to_have_value("پارسیان تجارت تهران")
    page.locator("#pv-contact-form button[type=submit]").first.click()
    expect(page.locator("main h1")).to_have_text("سارا")
    expect(page.locator("#pv-contact-company")).to_have_text("پارسیان تجارت تهران")
    assert Contact.objects.get(first_name="سارا").company_id == tehran.pk
