"""Browser tests: pytest-django's live server + Playwright (sync API) driving Debian's Chromium.

One browser per session (pytest-playwright's `browser` fixture), a fresh context per page opened with
`open_page`. Every page opened that way is watched: console errors, uncaught script errors, Content-Security-
Policy violations and 5xx answers fail the test at teardown.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from e2e_helpers import DESKTOP
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response

from peyvand.accounts import services
from peyvand.accounts.middleware import SESSION_WORKSPACE_KEY
from peyvand.accounts.models import Membership
from peyvand.accounts.tests.factories import UserFactory, make_member, make_workspace

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run there unless told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SHOTS_DIR = Path(os.environ.get("PEYVAND_E2E_SHOTS", "/tmp/e2e-shots"))

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Reports `securitypolicyviolation` events to the test (the listener is the harness's, not the page's).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__pvReportCsp(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} `
    + `at ${event.sourceFile || document.location.href}:${event.lineNumber}`);
}, true);
"""

# Chromium logs this for any main document answered with an error status; tests that expect such a page
# (a form refused with 422, a throttled sign-in with 429) declare it with `page.pv_watch.expect_status(...)`.
_STATUS_LOG = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@dataclass
class PageWatch:
    """Problems seen on one browser page."""

    problems: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)
    console: list[str] = field(default_factory=list)

    def expect_status(self, *statuses: int) -> None:
        self.expected_statuses.update(statuses)

    def on_console(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")
        if message.type != "error":
            return
        match = _STATUS_LOG.search(message.text)
        if match and int(match.group(1)) in self.expected_statuses:
            return
        self.problems.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def on_response(self, response: Response) -> None:
        if response.status >= 500:
            self.problems.append(f"HTTP {response.status} for {response.request.method} {response.url}")


@dataclass
class LiveSite:
    """The running app, and helpers to open watched browser pages on it."""

    url: str
    browser: Browser
    contexts: list[tuple[BrowserContext, PageWatch]] = field(default_factory=list)

    def open_page(
        self,
        member: Membership | None = None,
        *,
        language: str | None = None,
        viewport: dict[str, int] | None = None,
    ) -> Page:
        """A fresh browser context (own cookies) with one page; signed in as `member` if given (a real
        session, as after signing in); `language` sets the language cookie used before sign-in."""
        context = self.browser.new_context(viewport=viewport or DESKTOP, base_url=self.url)
        context.set_default_timeout(10_000)
        watch = PageWatch()
        context.expose_function("__pvReportCsp", lambda text: watch.problems.append(f"CSP violation: {text}"))
        context.add_init_script(CSP_LISTENER)
        cookies = []
        if member is not None:
            cookies.append(
                {"name": settings.SESSION_COOKIE_NAME, "value": session_for(member), "url": self.url}
            )
        if language is not None:
            cookies.append({"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": self.url})
        if cookies:
            context.add_cookies(cookies)
        page = context.new_page()
        page.on("console", watch.on_console)
        page.on("pageerror", lambda error: watch.problems.append(f"script error: {error}"))
        page.on("response", watch.on_response)
        # Confirmation dialogs (data-confirm forms) are answered "OK", as a user who means to act would.
        page.on("dialog", lambda dialog: dialog.accept())
        page.pv_watch = watch  # type: ignore[attr-defined]
        self.contexts.append((context, watch))
        return page

    def close(self) -> list[str]:
        problems = []
        for context, watch in self.contexts:
            problems.extend(watch.problems)
            context.close()
        self.contexts.clear()
        return problems


def session_for(member: Membership) -> str:
    """A signed-in session for `member` in its workspace; returns the session cookie value."""
    client = Client()
    client.force_login(member.user)
    session = client.session
    session[SESSION_WORKSPACE_KEY] = member.workspace_id
    session.save()
    return session.session_key


@pytest.fixture
def site(live_server, browser: Browser, settings) -> Iterator[LiveSite]:
    settings.SITE_URL = live_server.url  # links in e-mails and on the members page point at the live server
    live = LiveSite(url=live_server.url, browser=browser)
    yield live
    problems = live.close()
    assert not problems, "problems seen in the browser:\n" + "\n".join(problems)


@pytest.fixture
def acme(transactional_db):
    """Workspace "Acme" (English, Gregorian) owned by Olivia, with team "North", an admin and a sales rep."""
    owner_user = UserFactory(full_name="Olivia Owner", email="olivia@example.com")
    workspace, owner = make_workspace("Acme", owner=owner_user)
    north = services.team_create(actor=owner, name="North")
    rep = make_member(
        workspace,
        "sales_rep",
        user=UserFactory(full_name="Reza Rep", email="reza@example.com"),
        teams=[north],
    )
    admin = make_member(workspace, "admin", user=UserFactory(full_name="Ada Admin", email="ada@example.com"))
    owner = Membership.objects.select_related("workspace", "role", "user").get(pk=owner.pk)
    return _Acme(workspace=workspace, owner=owner, rep=rep, admin=admin, north=north)


@dataclass
class _Acme:
    workspace: Any
    owner: Membership
    rep: Membership
    admin: Membership
    north: Any


@pytest.fixture
def shot() -> Callable[[Page, str], Path]:
    """`shot(page, "name")` saves a full-page screenshot to SHOTS_DIR/name.png."""

    def take(page: Page, name: str) -> Path:
        SHOTS_DIR.mkdir(parents=True, exist_ok=True)
        path = SHOTS_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
