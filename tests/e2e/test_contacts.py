"""Contacts and companies in the browser: a Persian contact with a Jalali birthday found from the top bar,
list filters and columns, bulk actions, in-place edits and notes, a company's people, custom fields from
settings to the form; every screen right-to-left and at phone width."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from e2e_helpers import (
    PHONE,
    assert_direction,
    assert_labelled,
    assert_no_horizontal_overflow,
    jalali_short,
    persian_digits,
)
from playwright.sync_api import expect

from peyvand.accounts import services as account_services
from peyvand.contacts import services
from peyvand.contacts.models import Contact, LifecycleStage
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.core import customfields
from peyvand.core.models import CustomField, Tag

pytestmark = pytest.mark.e2e


@pytest.fixture
def iran(acme):
    """Acme with Iran as its country (national phone numbers) and the default lifecycle list."""
    account_services.workspace_update(actor=acme.owner, workspace=acme.workspace, changes={"country": "IR"})
    acme.owner.workspace.refresh_from_db()
    acme.rep.workspace.refresh_from_db()
    services.lifecycle_ensure_defaults(acme.workspace.pk)
    return acme


def _speak(member, language: str) -> None:
    member.language = language
    member.save(update_fields=["language"])


def test_persian_contact_with_jalali_birthday_found_by_arabic_yeh(site, iran, shot):
    _speak(iran.owner, "fa")
    birthday = dt.date(1990, 5, 17)
    page = site.open_page(iran.owner)
    page.goto("/contacts/")
    assert_direction(page, "fa")
    page.locator("main a[href='/contacts/new/']").click()
    expect(page).to_have_url(re.compile(r"/contacts/new/$"))
    assert_labelled(page)
    page.fill("#id_first_name", "علی")
    page.fill("#id_last_name", "رضایی")
    page.fill("#id_phones-0-value", "۰۹۱۲ ۱۲۳ ۴۵۶۷")
    page.fill("#id_emails-0-value", "ali@example.com")
    page.fill("#id_birthday", jalali_short(birthday))
    shot(page, "contact-form-fa")
    page.locator("#pv-contact-form button[type=submit]").first.click()

    expect(page.locator("main h1")).to_have_text("علی رضایی")
    contact = Contact.objects.get(first_name="علی")
    assert contact.phone == "+989121234567" and contact.birthday == birthday
    expect(page.locator("#pv-contact-birthday time")).to_have_attribute("datetime", "1990-05-17")
    expect(page.locator("#pv-contact-birthday")).to_contain_text(persian_digits("1369"))
    expect(page.locator("#pv-contact-phones a")).to_have_text(persian_digits("0912 123 4567"))
    expect(page.locator("#pv-contact-phones a")).to_have_attribute("href", "tel:+989121234567")
    expect(page.locator("#pv-timeline")).to_contain_text("علی")

    # The top bar's search finds her however "ی" is typed: here with the Arabic yeh.
    page.goto("/")
    page.locator("#pv-search").press_sequentially("علي", delay=30)
    result = page.locator("#pv-search-results a[data-search-result]", has_text="علی رضایی")
    expect(result).to_be_visible()
    page.locator("#pv-search").press("ArrowDown")
    expect(result).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/contacts/{contact.pk}/$"))
    page.locator("#pv-search").fill("zzzz-nobody")
    expect(page.locator("#pv-search-results")).to_contain_text("zzzz-nobody")
    page.locator("#pv-search").press("Escape")
    expect(page.locator("#pv-search-results a")).to_have_count(0)


def test_list_filter_by_tag_columns_and_bulk(site, iran):
    vip_one = make_contact(iran.owner, "Sara", "Ahmadi", tags=["VIP"], emails=["sara@example.com"])
    vip_two = make_contact(iran.owner, "Reza", "Karimi", tags=["VIP", "North"])
    make_contact(iran.owner, "Nima", "Amini", tags=["North"])
    theirs = make_contact(iran.owner, "Mina", "Tehrani")
    vip = Tag.objects.get(name="VIP")
    page = site.open_page(iran.owner)
    page.goto("/contacts/")
    assert_labelled(page)
    expect(page.locator("#pv-count")).to_have_text("4 contacts")
    page.locator("#id_tag").select_option(label="VIP")
    page.locator("#pv-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/contacts/\?tag={vip.pk}$"))  # empty filters stay out of the link
    rows = page.locator("#pv-list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#pv-count")).to_have_text("2 contacts")
    expect(rows.first).to_contain_text("Reza Karimi")  # name order
    expect(page.locator("#id_tag option:checked")).to_have_text("VIP")

    # Sort by name, descending, by the column header.
    page.locator("#pv-list thead a", has_text="Name").click()
    expect(rows.first).to_contain_text("Sara Ahmadi")
    expect(page.locator("#pv-list thead th[aria-sort=descending]")).to_have_count(1)

    # Choose columns: only Tags, then E-mail, in that order; the choice is in the link.
    page.get_by_role("button", name="Columns").click()
    chooser = page.locator("[data-column-chooser]")
    for key in ("phone", "company", "owner", "lifecycle_stage", "updated_at"):
        chooser.locator(f"li[data-column='{key}'] input").uncheck()
    for _ in range(6):  # to the top
        chooser.locator("li[data-column='tags'] [data-move=up]").click()
    chooser.get_by_role("button", name="Show these columns").click()
    expect(page).to_have_url(re.compile(r"columns=tags%2Cemail"))
    expect(page.locator("#pv-list thead th")).to_have_text(["", "Name ▼", "Tags", "E-mail"])
    expect(rows).to_have_count(2)  # the filter stayed

    # Bulk: add a tag to the selected rows.
    page.goto("/contacts/")
    page.locator(f"#pv-list tr[data-id='{vip_one.pk}'] input[data-row-check]").check()
    page.locator(f"#pv-list tr[data-id='{theirs.pk}'] input[data-row-check]").check()
    expect(page.locator("[data-selected-count]")).to_have_text("Selected: 2")
    page.locator("#pv-bulk-action").select_option("add_tag")
    page.fill("#pv-bulk-tag-name", "Hot")
    page.locator("#pv-bulk button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("2 changed")
    assert set(Tag.objects.get(name="Hot").contact_links.values_list("contact_id", flat=True)) == {
        vip_one.pk,
        theirs.pk,
    }
    # Select all, then delete: the confirmation is answered and both go to the recycle bin.
    page.locator("input[data-select-all]").check()
    page.locator("#pv-bulk-action").select_option("delete")
    page.locator("#pv-bulk button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("4 changed")
    expect(page.locator("#pv-list tbody tr")).to_have_count(1)  # "nothing here"
    assert not Contact.objects.filter(pk=vip_two.pk).exists()


def test_paging_fetches_only_the_results(site, iran):
    """Next and Previous swap the results in place (the filter panel is not rendered again) and put the
    page in the address bar; the tag filter stays."""
    for i in range(53):
        make_contact(iran.owner, f"Person {i:02d}", "Paged", tags=["Paged"])
    make_contact(iran.owner, "Outside", "Tag")
    tag = Tag.objects.get(name="Paged")
    page = site.open_page(iran.owner)
    page.goto(f"/contacts/?tag={tag.pk}")
    rows = page.locator("#pv-list tbody tr")
    expect(rows).to_have_count(50)
    page.evaluate("document.querySelector('#pv-filters').dataset.kept = 'yes'")
    page.locator("#pv-results a[rel=next]").click()
    expect(page).to_have_url(re.compile(rf"tag={tag.pk}&cursor="))
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Person 50")
    assert page.evaluate("document.querySelector('#pv-filters').dataset.kept") == "yes"
    # A bulk action returns to the page shown, not the one first loaded.
    expect(page.locator("input[name=next][form=pv-bulk]")).to_have_value(re.compile(r"cursor="))
    page.locator("#pv-results a[rel=prev]").click()
    expect(page).to_have_url(re.compile(r"before="))
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text("Person 00")
    assert page.evaluate("document.querySelector('#pv-filters').dataset.kept") == "yes"


def test_quick_add_refreshes_the_list(site, iran):
    page = site.open_page(iran.rep)
    page.pv_watch.expect_status(422)
    page.goto("/contacts/")
    page.get_by_role("button", name="Quick add").click()
    page.fill("#id_quick-email", "not-an-address")
    page.locator("#pv-quick button[type=submit]").click()
    expect(page.locator("#id_quick-email_error")).to_be_visible()
    page.fill("#id_quick-first_name", "Kaveh")
    page.fill("#id_quick-email", "kaveh@example.com")
    page.fill("#id_quick-phone", "0935 123 4567")
    page.locator("#pv-quick button[type=submit]").click()
    expect(page.locator("#pv-quick .alert-success")).to_contain_text("Kaveh")
    expect(page.locator("#pv-list tbody")).to_contain_text("Kaveh")
    expect(page.locator("#pv-count")).to_have_text("1 contact")
    expect(page.locator("#id_quick-first_name")).to_have_value("")
    assert Contact.objects.get(first_name="Kaveh").owner == iran.rep


def test_inline_edit_and_notes(site, iran):
    contact = make_contact(iran.owner, "Sara", "Ahmadi", owner=iran.rep)
    page = site.open_page(iran.rep)
    page.goto(f"/contacts/{contact.pk}/")
    assert_labelled(page)
    job = page.locator("#pv-inline-job_title")
    job.get_by_role("link", name="Edit").click()
    expect(page.locator("#pv-inline-job_title-value")).to_be_focused()
    page.fill("#pv-inline-job_title-value", "Purchasing manager")
    page.keyboard.press("Enter")
    expect(job.locator("[data-value]")).to_have_text("Purchasing manager")
    expect(page.locator("#pv-events")).to_contain_text("Purchasing manager")  # the timeline follows
    contact.refresh_from_db()
    assert contact.job_title == "Purchasing manager"

    stage = page.locator("#pv-inline-lifecycle_stage")
    stage.get_by_role("link", name="Edit").click()
    page.locator("#pv-inline-lifecycle_stage-value").select_option(label="Customer")
    stage.get_by_role("button", name="Save").click()
    expect(stage.locator("[data-value]")).to_have_text("Customer")
    # Escape cancels an edit.
    job.get_by_role("link", name="Edit").click()
    page.fill("#pv-inline-job_title-value", "Something else")
    page.keyboard.press("Escape")
    expect(job.locator("[data-value]")).to_have_text("Purchasing manager")
    # A sales rep may not hand the contact to someone else: no edit on the owner.
    expect(page.locator("#pv-inline-owner a")).to_have_count(0)
    contact.refresh_from_db()
    assert contact.lifecycle_stage == LifecycleStage.objects.get(workspace=iran.workspace, key="customer")
    assert contact.job_title == "Purchasing manager"

    # Notes: add, edit, delete in place; the timeline shows the changes too.
    page.fill("#pv-note-form textarea", "Called; wants a quote.")
    page.get_by_role("button", name="Add note").click()
    note = page.locator(".pv-note", has_text="Called; wants a quote.")
    expect(note).to_be_visible()
    expect(page.locator("#pv-note-form textarea")).to_have_value("")
    note.get_by_role("link", name="Edit note").click()
    page.locator(".pv-note textarea").fill("Sent the quote.")
    page.locator(".pv-note").get_by_role("button", name="Save").click()
    expect(page.locator(".pv-note").first).to_contain_text("Sent the quote.")
    expect(page.locator("#pv-timeline")).to_contain_text("Purchasing manager")
    page.locator(".pv-note").first.get_by_role("button", name="Delete note").click()
    expect(page.locator(".pv-note")).to_have_count(0)


def test_company_page_lists_its_people(site, iran):
    company = make_company(iran.owner, "Parsian Trading", website="parsian.example")
    make_company(iran.owner, "Parsian Kish", parent=company)
    make_contact(iran.owner, "Sara", "Ahmadi", company=company, job_title="CEO")
    make_contact(iran.owner, "Reza", "Karimi", company=company)
    make_contact(iran.owner, "Nima", "Elsewhere")
    page = site.open_page(iran.owner)
    page.goto("/companies/")
    assert_labelled(page)
    page.locator("#pv-list").get_by_role("link", name="Parsian Trading").click()
    expect(page.locator("main h1")).to_have_text("Parsian Trading")
    people = page.locator("#pv-company-people li")
    expect(people).to_have_text([re.compile("Reza Karimi"), re.compile("Sara Ahmadi · CEO")])
    expect(page.locator("#pv-subsidiaries")).to_contain_text("Parsian Kish")
    page.get_by_role("link", name="Open in the contact list").click()
    expect(page.locator("#pv-list tbody tr")).to_have_count(2)
    expect(page.locator("#id_company option:checked")).to_have_text("Parsian Trading")
    page.locator("#pv-list").get_by_role("link", name="Sara Ahmadi").click()
    page.locator("#pv-contact-company").click()
    expect(page.locator("main h1")).to_have_text("Parsian Trading")


def test_custom_field_from_settings_to_the_form(site, iran):
    page = site.open_page(iran.owner)
    page.goto("/settings/custom-fields/")
    assert_labelled(page)
    options = page.locator("[data-options-for]")
    expect(options).to_be_hidden()  # a text field has no options
    page.fill("#id_label", "Customer tier")
    page.locator("#id_field_type").select_option("choice")
    expect(options).to_be_visible()
    page.fill("#id_options-0-label", "Gold")
    options.get_by_role("button", name="Add another").click()
    expect(page.locator("#id_options-1-label")).to_be_focused()
    page.fill("#id_options-1-label", "Silver")
    page.get_by_role("button", name="Add field").click()
    expect(page.locator(".alert-success")).to_contain_text("Field “Customer tier” added.")
    expect(page.locator("#pv-custom-fields tr[data-field=customer_tier]")).to_contain_text("Single choice")
    field = CustomField.objects.get(workspace=iran.workspace, key="customer_tier")
    assert [o["label"] for o in field.choices] == ["Gold", "Silver"]

    page.goto("/contacts/new/")
    tier = page.locator("select[name='custom.customer_tier']")
    expect(tier.locator("option")).to_have_text(["—", "Gold", "Silver"])
    page.fill("#id_first_name", "Sara")
    tier.select_option(label="Silver")
    page.locator("#pv-contact-form button[type=submit]").first.click()
    expect(page.locator("#pv-custom [data-custom=customer_tier]")).to_contain_text("Silver")
    assert Contact.objects.get(first_name="Sara").custom == {"customer_tier": "silver"}


def test_form_error_keeps_what_was_typed(site, iran):
    customfields.custom_field_create(
        actor=iran.owner, data={"entity": "contact", "label": "Budget", "field_type": "number"}
    )
    page = site.open_page(iran.owner)
    page.pv_watch.expect_status(422)
    page.goto("/contacts/new/")
    page.fill("#id_first_name", "Sara")
    page.fill("#id_phones-0-value", "12")
    page.get_by_role("button", name="Add another").first.click()  # a second e-mail row
    page.fill("#id_emails-1-value", "sara@example.com")
    page.locator("[name='custom.budget']").fill("lots")
    page.locator("#pv-contact-form button[type=submit]").first.click()
    expect(page.locator("#id_phones_error")).to_contain_text("is not a phone number")
    expect(page.locator("[id='id_custom.budget_error']")).to_be_visible()
    expect(page.locator("#id_first_name")).to_have_value("Sara")
    expect(page.locator("#id_emails-1-value")).to_have_value("sara@example.com")
    assert not Contact.objects.filter(first_name="Sara").exists()


def _screens(contact, company, field_id, stage_id, tag_id) -> list[str]:
    return [
        "/contacts/",
        "/contacts/new/",
        f"/contacts/{contact.pk}/",
        f"/contacts/{contact.pk}/edit/",
        "/companies/",
        "/companies/new/",
        f"/companies/{company.pk}/",
        f"/companies/{company.pk}/edit/",
        "/search/?q=Sara",
        "/settings/tags/",
        f"/settings/tags/{tag_id}/",
        "/settings/custom-fields/",
        "/settings/custom-fields/?entity=company",
        f"/settings/custom-fields/{field_id}/",
        "/settings/lifecycle/",
    ]


@pytest.mark.parametrize(("language", "viewport"), [("fa", PHONE), ("th", PHONE), ("en", None)])
def test_every_contacts_screen_in_each_language_and_at_phone_width(site, iran, language, viewport, shot):
    company = make_company(iran.owner, "Parsian Trading", phones=["021 1234 5678"])
    contact = make_contact(
        iran.owner,
        "Sara",
        "Ahmadi",
        company=company,
        emails=["sara.with.a.rather.long.address@example.com"],
        phones=["09121234567"],
        tags=["VIP", "A much longer tag name"],
        birthday=dt.date(1990, 5, 17),
    )
    services.note_create(actor=iran.owner, contact=contact, body="A note " * 30)
    field = customfields.custom_field_create(
        actor=iran.owner,
        data={"entity": "contact", "label": "Tier", "field_type": "choice", "choices": ["Gold", "Silver"]},
    )
    stage = LifecycleStage.objects.filter(workspace=iran.workspace).first()
    tag = Tag.objects.get(name="VIP")
    _speak(iran.owner, language)
    page = site.open_page(iran.owner, viewport=viewport)
    for path in _screens(contact, company, field.pk, stage.pk, tag.pk):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert_direction(page, language)
        assert_labelled(page)
        expect(page.locator("main h1")).to_have_count(1)
        if viewport:
            assert_no_horizontal_overflow(page)
    if viewport:
        page.goto(f"/contacts/{contact.pk}/")
        shot(page, f"contact-phone-{language}")
        page.goto("/contacts/")
        shot(page, f"contacts-phone-{language}")
        # The top-bar search lives in the collapsed menu on phones and still works.
        page.locator(".navbar-toggler").click()
        page.locator("#pv-search").fill("Sara")
        expect(page.locator("#pv-search-results a[data-search-result]").first).to_be_visible()
        assert_no_horizontal_overflow(page)
