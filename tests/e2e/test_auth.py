"""Signing in (mouse and keyboard), throttling, passwords, languages and switching workspaces."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from e2e_helpers import (
    JALALI_MONTHS_FA,
    THAI_MONTHS,
    assert_direction,
    assert_labelled,
    buddhist_short,
    gregorian_to_jalali,
    has_latin_digit,
    jalali_short,
    page_today,
    persian_digits,
)
from playwright.sync_api import expect

from peyvand.accounts.models import Membership, User
from peyvand.accounts.tests.factories import PASSWORD, make_member, make_workspace

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "a brand new passphrase 7"


def _sign_in(page, email: str, password: str) -> None:
    page.fill("#id_email", email)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()


def test_sign_in_then_persian_shows_rtl_and_jalali_date(site, acme, shot):
    page = site.open_page()
    page.goto("/settings/teams/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/settings/teams/$"))
    assert_labelled(page)
    _sign_in(page, "olivia@example.com", PASSWORD)
    expect(page).to_have_url(re.compile(r"/settings/teams/$"))  # back where the user wanted to go
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Welcome to Acme")
    assert_direction(page, "en")
    today = page_today(page)
    expect(page.locator("#pv-today time")).to_contain_text(str(today.year))

    page.locator("button[name=language][value=fa]").click()
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    assert_direction(page, "fa")
    # The RTL stylesheet really applies: the brand sits on the right, the user menu on the left.
    width = page.viewport_size["width"]
    brand = page.locator(".navbar-brand").bounding_box()
    user_menu = page.locator("#pv-user-menu").bounding_box()
    assert brand["x"] > width / 2 > user_menu["x"], (brand, user_menu)
    # A Jalali date, in Persian digits and with the Persian month name.
    year, month, day = gregorian_to_jalali(page_today(page))
    date_text = page.locator("#pv-today time").inner_text()
    assert persian_digits(str(year)) in date_text, date_text
    assert JALALI_MONTHS_FA[month - 1] in date_text, date_text
    assert persian_digits(str(day)) in date_text.split(), date_text
    assert not has_latin_digit(date_text), date_text
    shot(page, "home-fa")
    assert Membership.objects.get(pk=acme.owner.pk).language == "fa"  # remembered for the member


def test_language_switcher_english_persian_thai(site, acme):
    page = site.open_page(acme.owner)
    page.goto("/settings/members/")
    assert_direction(page, "en")
    english_heading = page.locator("h1").inner_text()
    assert english_heading == "Members and invites"

    page.locator("button[name=language][value=fa]").click()
    expect(page).to_have_url(re.compile(r"/settings/members/$"))  # stays on the same screen
    assert_direction(page, "fa")
    expect(page.locator("button[name=language][value=fa]")).to_have_attribute("aria-pressed", "true")
    # Members' join dates are Jalali with Persian digits.
    joined = page.locator("#pv-members tbody tr").first.locator("td").last.inner_text()
    assert joined == jalali_short(timezone.localdate()), joined

    page.locator("button[name=language][value=th]").click()
    assert_direction(page, "th")
    expect(page.locator("button[name=language][value=th]")).to_have_attribute("aria-pressed", "true")
    joined = page.locator("#pv-members tbody tr").first.locator("td").last.inner_text()
    assert joined == buddhist_short(timezone.localdate()), joined  # Buddhist era: 23/11/2569

    page.goto("/")
    today = page_today(page)
    date_text = page.locator("#pv-today time").inner_text()
    assert str(today.year + 543) in date_text, date_text  # e.g. 2569 for 2026
    assert THAI_MONTHS[today.month - 1] in date_text, date_text
    assert str(today.year) not in date_text, date_text

    page.locator("button[name=language][value=en]").click()
    assert_direction(page, "en")
    expect(page.locator("h1")).to_have_text("Welcome to Acme")


def test_language_before_sign_in_is_remembered_by_cookie(site, acme):
    page = site.open_page()
    page.goto("/login/")
    assert_direction(page, "en")
    page.locator("button[name=language][value=fa]").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    assert_direction(page, "fa")
    assert_labelled(page)
    page.goto("/password/reset/")
    assert_direction(page, "fa")


def test_keyboard_only_sign_in(site, acme):
    page = site.open_page()
    page.goto("/login/")
    # The e-mail field has the focus on arrival; Tab moves to the password; Enter submits.
    assert page.evaluate("document.activeElement.id") == "id_email"
    page.keyboard.type("olivia@example.com")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Welcome to Acme")
    # Reaching the submit button by Tab works too (signed out again first).
    page.locator("#pv-user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    page.locator("#id_email").focus()
    page.keyboard.type("olivia@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.type]")
    assert focused == ["BUTTON", "submit"], focused
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Welcome to Acme")


def test_wrong_passwords_are_throttled(site, acme):
    page = site.open_page()
    watch = page.pv_watch
    watch.expect_status(429)
    page.goto("/login/")
    for _attempt in range(4):
        _sign_in(page, "olivia@example.com", "not the password")
        expect(page.locator(".alert-danger")).to_contain_text("E-mail or password is not correct.")
    _sign_in(page, "olivia@example.com", "not the password")
    lock = page.locator(".alert-warning")
    expect(lock).to_contain_text("Too many failed sign-in attempts. Try again after")
    # While locked, even the right password is refused.
    _sign_in(page, "olivia@example.com", PASSWORD)
    expect(page.locator(".alert-warning")).to_contain_text("Try again after")
    expect(page).to_have_url(re.compile(r"/login/$"))
    assert page.locator("#pv-user-menu").count() == 0


def test_password_change(site, acme):
    page = site.open_page(acme.owner)
    page.goto("/")
    page.locator("#pv-user-menu").click()
    page.get_by_role("link", name="Change password").click()
    expect(page).to_have_url(re.compile(r"/password/$"))
    assert_labelled(page)
    page.fill("#id_old_password", PASSWORD)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Your password was changed.")
    expect(page.locator("h1")).to_have_text("Welcome to Acme")  # still signed in
    assert User.objects.get(pk=acme.owner.user_id).check_password(NEW_PASSWORD)


def test_password_change_refuses_wrong_old_password(site, acme):
    page = site.open_page(acme.owner)
    page.goto("/password/")
    page.fill("#id_old_password", "wrong old password")
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.locator("main form button[type=submit]").click()
    old = page.locator("#id_old_password")
    expect(old).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_old_password_error")).to_be_visible()
    assert "id_old_password_error" in (old.get_attribute("aria-describedby") or "")
    assert User.objects.get(pk=acme.owner.user_id).check_password(PASSWORD)


def test_password_reset_by_email(site, acme, mailoutbox):
    page = site.open_page()
    page.goto("/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page).to_have_url(re.compile(r"/password/reset/$"))
    assert_labelled(page)
    page.fill("#id_email", "nobody@example.com")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Check your e-mail")
    assert mailoutbox == []  # the same answer, but no mail, for an unknown address

    page.goto("/password/reset/")
    page.fill("#id_email", "olivia@example.com")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Check your e-mail")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["olivia@example.com"]
    link = re.search(r"https?://\S+/password/reset/\S+/", message.body).group(0)
    assert link.startswith(site.url), link

    page.goto(link)
    expect(page.locator("h1")).to_have_text("Choose a new password")
    assert_labelled(page)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Password saved")
    page.locator("main").get_by_role("link", name="Sign in").click()
    _sign_in(page, "olivia@example.com", NEW_PASSWORD)
    expect(page.locator("h1")).to_have_text("Welcome to Acme")

    page.goto(link)  # a used link no longer works
    expect(page.locator("h1")).to_have_text("Link not valid")


def test_workspace_switcher(site, acme):
    bazaar, _bazaar_owner = make_workspace("Bazaar", language="fa", calendar="jalali")
    make_member(bazaar, "sales_rep", user=acme.owner.user)
    page = site.open_page(acme.owner)
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Welcome to Acme")
    switcher = page.locator("#pv-workspace")
    expect(switcher.locator("option")).to_have_text(["Acme", "Bazaar"])

    with page.expect_navigation():
        switcher.select_option(label="Bazaar")  # app.js submits the form on change
    expect(page.locator("h1")).to_contain_text("Bazaar")
    expect(page.locator("#pv-workspace")).to_have_value(str(bazaar.pk))
    assert_direction(page, "fa")  # Bazaar speaks Persian
    # Bazaar's role for this user is Sales rep: no roles screen in the settings menu.
    page.goto("/settings/members/")
    expect(page.locator(".pv-sidebar a[href='/settings/roles/']")).to_have_count(0)

    with page.expect_navigation():
        page.locator("#pv-workspace").select_option(label="Acme")
    expect(page.locator("h1")).to_have_text("Welcome to Acme")
    assert_direction(page, "en")


def test_new_workspace(site, acme):
    page = site.open_page(acme.rep)
    page.goto("/")
    page.locator("#pv-user-menu").click()
    page.get_by_role("link", name="New workspace").click()
    expect(page).to_have_url(re.compile(r"/workspaces/new/$"))
    assert_labelled(page)
    page.fill("#id_name", "Reza's Shop")
    page.locator("#id_language").select_option("th")
    page.locator("#id_calendar").select_option("buddhist")
    page.fill("#id_default_currency", "THB")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("Reza's Shop")
    assert_direction(page, "th")  # the new workspace's language
    expect(page.locator("#pv-workspace option:checked")).to_have_text("Reza's Shop")
    expect(page.locator("#pv-workspace option")).to_have_count(2)
    # Its owner may open every settings screen there.
    page.goto("/settings/roles/")
    expect(page.locator("#pv-roles tbody tr")).to_have_count(6)
