"""Every screen, in every language: it renders, every control is labelled, the direction is right, and the
browser reports no errors or CSP violations (checked by the `site` fixture); and the screens at phone width."""

from __future__ import annotations

import re

import pytest
from e2e_helpers import PHONE, assert_direction, assert_labelled, assert_no_horizontal_overflow
from playwright.sync_api import expect

from peyvand.accounts import services
from peyvand.accounts.models import Role
from peyvand.core import recycle

pytestmark = pytest.mark.e2e

LANGUAGES = ["en", "fa", "th"]


@pytest.fixture
def furnished(acme):
    """Acme with something on every screen: a token, a pending invitation, a team in the recycle bin."""
    services.token_create(actor=acme.owner, name="website form")
    sales_rep = Role.objects.get(workspace=acme.workspace, key="sales_rep")
    _invite, raw = services.invite_create(
        actor=acme.owner, email="new.person@example.com", role=sales_rep, teams=[acme.north]
    )
    old = services.team_create(actor=acme.owner, name="Old team")
    recycle.soft_delete(actor=acme.owner, record=old)
    acme.invite_token = raw
    acme.sales_rep_role = sales_rep
    return acme


def _member_screens(acme) -> list[str]:
    return [
        "/",
        "/settings/workspace/",
        "/settings/members/",
        f"/settings/members/{acme.rep.pk}/",
        "/settings/teams/",
        f"/settings/teams/{acme.north.pk}/",
        "/settings/roles/",
        f"/settings/roles/{acme.sales_rep_role.pk}/",
        "/settings/roles/new/",
        "/settings/tokens/",
        "/settings/audit/",
        "/settings/recycle-bin/",
        f"/history/workspace/{acme.workspace.pk}/",
        f"/history/member/{acme.rep.pk}/",
        f"/history/role/{acme.sales_rep_role.pk}/",
        "/password/",
        "/workspaces/new/",
    ]


def _check_screen(page, path: str, language: str, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None and response.status == status, (path, response and response.status)
    assert_direction(page, language)
    assert_labelled(page)
    heading = page.locator("main h1")
    expect(heading).to_have_count(1)
    assert heading.inner_text().strip(), f"empty heading on {path}"
    assert page.title().strip(), f"no title on {path}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_member_screen(site, furnished, language, shot):
    furnished.owner.language = language
    furnished.owner.save(update_fields=["language"])
    page = site.open_page(furnished.owner)
    for path in _member_screens(furnished):
        _check_screen(page, path, language)
        if path == f"/settings/roles/{furnished.sales_rep_role.pk}/" and language == "th":
            shot(page, "role-editor-th")
    # The page a member may not open, and one that does not exist.
    rep_page = site.open_page(furnished.rep)
    rep_page.pv_watch.expect_status(403, 404)
    furnished.rep.language = language
    furnished.rep.save(update_fields=["language"])
    _check_screen(rep_page, "/settings/roles/", language, status=403)
    _check_screen(rep_page, "/settings/no-such-screen/", language, status=404)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_public_screen(site, furnished, language):
    page = site.open_page(language=language)
    page.pv_watch.expect_status(410)
    for path in ["/login/", "/password/reset/", "/password/reset/sent/", "/password/reset/complete/"]:
        _check_screen(page, path, language)
    _check_screen(page, f"/invites/{furnished.invite_token}/", language)
    _check_screen(page, "/invites/no-such-invitation/", language, status=410)
    # Signed out, a settings screen asks to sign in first.
    page.goto("/settings/members/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))


def test_language_buttons_name_each_language_in_itself(site, acme):
    page = site.open_page(acme.owner)
    for language in LANGUAGES:
        page.goto("/")
        page.locator(f"button[name=language][value={language}]").click()
        assert_direction(page, language)
        buttons = page.locator("button[name=language]")
        expect(buttons).to_have_text(["English", "فارسی", "ไทย"])
        for code in LANGUAGES:
            expect(page.locator(f"button[name=language][value={code}]")).to_have_attribute("lang", code)


def test_phone_navbar_collapses_and_opens(site, acme):
    page = site.open_page(acme.owner, viewport=PHONE)
    page.goto("/")
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#pv-nav")).to_be_hidden()
    expect(page.locator("#pv-workspace")).to_be_hidden()
    assert_no_horizontal_overflow(page)
    toggler.click()
    expect(page.locator("#pv-nav")).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#pv-workspace")).to_be_visible()
    expect(page.locator("button[name=language][value=fa]")).to_be_visible()
    assert_no_horizontal_overflow(page)
    page.locator("#pv-nav").get_by_role("link", name="Settings").click()
    expect(page).to_have_url(re.compile(r"/settings/workspace/$"))
    expect(page.locator("#pv-nav")).to_be_hidden()  # collapsed again on the new page

    desktop = site.open_page(acme.owner)
    desktop.goto("/")
    expect(desktop.locator(".navbar-toggler")).to_be_hidden()
    expect(desktop.locator("#pv-nav")).to_be_visible()


@pytest.mark.parametrize("language", ["en", "fa"])
def test_phone_settings_screens_fit_and_work(site, furnished, language, shot):
    furnished.owner.language = language
    furnished.owner.save(update_fields=["language"])
    page = site.open_page(furnished.owner, viewport=PHONE)
    for path in _member_screens(furnished):
        page.goto(path)
        assert_direction(page, language)
        assert_no_horizontal_overflow(page)
    page.goto("/settings/members/")
    shot(page, f"members-phone-{language}")

    # Long content (a new token, a new invitation link) still fits.
    page.goto("/settings/tokens/")
    page.fill("#id_name", "phone token")
    page.locator("main form:has(#id_name) button[type=submit]").click()
    expect(page.locator("#pv-new-token")).to_be_visible()
    assert_no_horizontal_overflow(page)
    # Secrets and links read left to right even on a right-to-left page.
    assert page.locator("#pv-new-token").evaluate("(el) => getComputedStyle(el).direction") == "ltr"
    page.goto("/settings/members/")
    page.fill("#pv-invite-form #id_email", "someone.with.a.rather.long.address@example.com")
    page.locator("#pv-invite-form button[type=submit]").click()
    expect(page.locator("#pv-invite-link")).to_be_visible()
    assert_no_horizontal_overflow(page)
    assert page.locator("#pv-invite-link").evaluate("(el) => getComputedStyle(el).direction") == "ltr"

    # A form is usable at this width: create a team.
    page.goto("/settings/teams/")
    page.locator("#id_name").scroll_into_view_if_needed()
    page.fill("#id_name", "Mobile team")
    page.locator("main form:has(#id_name) button[type=submit]").click()
    expect(page.locator("#pv-teams")).to_contain_text("Mobile team")
    assert_no_horizontal_overflow(page)


def test_the_harness_notices_csp_violations_and_console_errors(site, acme):
    """The checks every test relies on do fire (an inline style and an outside image are refused by the CSP)."""
    page = site.open_page(acme.owner)
    page.goto("/")
    watch = page.pv_watch
    page.evaluate(
        """() => {
          document.body.insertAdjacentHTML("beforeend", '<img alt="" src="https://example.invalid/x.png">');
          const style = document.createElement("style");
          style.textContent = "body { color: red; }";
          document.head.appendChild(style);
          console.error("deliberate error");
        }"""
    )
    page.wait_for_timeout(200)
    found = "\n".join(watch.problems)
    assert "CSP violation: img-src" in found, found
    assert "CSP violation: style-src" in found, found
    assert "console error: deliberate error" in found, found
    watch.problems.clear()
