"""Saved views in the browser: filter the contact list by a tag, save it as a shared view, come back to the
plain list and open the view from the Views menu; clear the view's tag in the filter form (the list no longer
matches the view) and go back to it; a teammate finds it in their menu under its owner's name. Once more in
Persian, right to left, at phone width."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import PHONE, assert_direction, assert_labelled, assert_no_horizontal_overflow
from playwright.sync_api import Page, expect

from peyvand.contacts.models import SavedView
from peyvand.contacts.tests.factories import make_contact
from peyvand.core.models import Tag

pytestmark = pytest.mark.e2e


def _save_shared_view(page: Page, name: str) -> SavedView:
    page.locator("#pv-views").click()
    page.locator("#pv-save-view-open").click()
    expect(page.locator("#pv-save-view-name")).to_be_visible()
    assert_labelled(page)
    page.fill("#pv-save-view-name", name)
    page.locator("#pv-save-view-shared").check()
    page.locator("#pv-save-view-submit").click()
    expect(page.locator("#pv-view-name")).to_have_text(name)
    view = SavedView.objects.get(name=name)
    expect(page).to_have_url(re.compile(rf"/contacts/\?view={view.pk}$"))
    return view


def test_save_a_tag_filter_as_a_shared_view_and_open_it_again(site, acme, shot):
    make_contact(acme.owner, "Sara", "Ahmadi", tags=["VIP"])
    make_contact(acme.owner, "Reza", "Karimi", tags=["VIP", "North"])
    make_contact(acme.owner, "Nima", "Amini", tags=["North"])
    make_contact(acme.owner, "Mina", "Tehrani")
    vip = Tag.objects.get(name="VIP")
    page = site.open_page(acme.owner)
    page.goto("/contacts/")
    rows = page.locator("#pv-list tbody tr")
    expect(rows).to_have_count(4)
    page.locator("#id_tag").select_option(label="VIP")
    page.locator("#pv-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/contacts/\?tag={vip.pk}$"))
    expect(rows).to_have_count(2)

    # Save the filter as a view shared with the workspace.
    page.pv_watch.expect_status(422)
    page.locator("#pv-views").click()
    page.locator("#pv-save-view-open").click()
    page.locator("#pv-save-view-submit").click()  # no name yet: the form says so, nothing is saved
    expect(page.locator("#pv-save-view-name_error")).to_be_visible()
    assert not SavedView.objects.exists()
    page.fill("#pv-save-view-name", "VIP buyers")
    page.locator("#pv-save-view-shared").check()
    shot(page, "saved-view-save")
    page.locator("#pv-save-view-submit").click()
    expect(page.locator("#pv-view-name")).to_have_text("VIP buyers")
    view = SavedView.objects.get(name="VIP buyers")
    assert view.shared and view.query == f"tag={vip.pk}" and view.owner == acme.owner
    expect(page.locator(".alert-success")).to_contain_text("VIP buyers")
    expect(rows).to_have_count(2)

    # Back on the plain list, the view opens from the menu with its filter.
    page.goto("/contacts/")
    expect(rows).to_have_count(4)
    expect(page.locator("#pv-view-name")).to_have_count(0)
    page.locator("#pv-views").click()
    item = page.locator(f".pv-views-menu a[data-view='{view.pk}']")
    expect(item).to_contain_text("Shared")
    shot(page, "saved-view-menu")
    item.click()
    expect(page).to_have_url(re.compile(rf"/contacts/\?view={view.pk}$"))
    expect(page.locator("#pv-view-name")).to_have_text("VIP buyers")
    expect(rows).to_have_count(2)
    expect(page.locator("#pv-list tbody")).to_contain_text("Sara Ahmadi")
    expect(page.locator("#pv-list tbody")).not_to_contain_text("Nima")
    expect(page.locator("#pv-count")).to_have_text("2 contacts")
    expect(page.locator("#pv-view-changed")).to_have_count(0)

    # Clearing the view's tag in the filter form lists everyone; the list no longer matches the view.
    page.locator("#id_tag").select_option([])
    page.locator("#pv-filters button[type=submit]").click()
    expect(rows).to_have_count(4)
    expect(page.locator("#pv-view-changed")).to_be_visible()
    page.locator("#pv-view-reset").click()
    expect(rows).to_have_count(2)

    # A teammate finds it in their menu, named after its owner, and sees the same filter.
    other = site.open_page(acme.rep)
    other.goto("/contacts/")
    other.locator("#pv-views").click()
    shared = other.locator(f".pv-views-menu a[data-view='{view.pk}']")
    expect(shared).to_contain_text("Olivia Owner")
    shared.click()
    expect(other.locator("#pv-list tbody tr")).to_have_count(2)
    expect(other.locator("#pv-view-owner")).to_contain_text("Olivia Owner")


def test_saved_views_in_persian_at_phone_width(site, acme, shot):
    acme.owner.language = "fa"
    acme.owner.save(update_fields=["language"])
    make_contact(acme.owner, "سارا", "احمدی", tags=["ویژه"])
    make_contact(acme.owner, "رضا", "کریمی", tags=["ویژه"])
    make_contact(acme.owner, "نیما", "امینی")
    page = site.open_page(acme.owner, viewport=PHONE)
    page.goto("/contacts/")
    assert_direction(page, "fa")
    rows = page.locator("#pv-list tbody tr")
    expect(rows).to_have_count(3)
    page.locator("#id_tag").select_option(label="ویژه")
    page.locator("#pv-filters button[type=submit]").click()
    expect(rows).to_have_count(2)
    view = _save_shared_view(page, "مشتریان ویژه")
    assert_no_horizontal_overflow(page)

    page.goto("/contacts/")
    expect(rows).to_have_count(3)
    page.locator("#pv-views").click()
    menu = page.locator(".pv-views-menu")
    expect(menu.locator("a[data-view='']")).to_have_text("همه‌ی مخاطبان")
    assert_no_horizontal_overflow(page)
    shot(page, "saved-view-menu-fa-phone")
    menu.locator(f"a[data-view='{view.pk}']").click()
    expect(page.locator("#pv-view-name")).to_have_text("مشتریان ویژه")
    expect(rows).to_have_count(2)
    expect(page.locator("#pv-list tbody")).not_to_contain_text("نیما")
    assert_no_horizontal_overflow(page)
    shot(page, "saved-view-open-fa-phone")

    # The manage screen: rename it, then delete it (the confirmation is answered).
    page.goto("/contacts/views/")
    assert_no_horizontal_overflow(page)
    page.locator(f"#pv-views-mine tr[data-view='{view.pk}'] a.btn").click()
    assert_labelled(page)
    page.fill("#id_name", "ویژه‌ها")
    page.locator("#pv-view-form button[type=submit]").click()
    expect(page.locator("#pv-views-mine")).to_contain_text("ویژه‌ها")
    page.locator(f"#pv-views-mine tr[data-view='{view.pk}'] button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert not SavedView.objects.filter(pk=view.pk).exists()
