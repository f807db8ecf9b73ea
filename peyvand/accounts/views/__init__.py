"""Web screens of accounts, split by area; urls.py maps them."""

from peyvand.accounts.views.auth import home

__all__ = ["home"]
