"""Who is acting, through which channel: set once at each edge (view, API, command, task), read by audit."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar, Token

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    UI = "ui", _("Web")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    AUTOMATION = "automation", _("Automation")
    SYSTEM = "system", _("System")


_channel: ContextVar[str] = ContextVar("peyvand_channel", default=Channel.SYSTEM)


def current_channel() -> str:
    return _channel.get()


@contextlib.contextmanager
def acting_through(channel: str) -> Iterator[None]:
    """Mark everything inside as done through `channel` (audit entries record it)."""
    token = _channel.set(channel)
    try:
        yield
    finally:
        _channel.reset(token)


def set_channel(channel: str) -> Token[str]:
    """For edges with no enclosing block (middleware): the value lasts until `reset_channel(token)`."""
    return _channel.set(channel)


def reset_channel(token: Token[str]) -> None:
    _channel.reset(token)
