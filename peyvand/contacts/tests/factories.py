"""Contacts and companies for tests, made through the services (so derived columns are real)."""

from __future__ import annotations

from typing import Any

from peyvand.accounts.models import Membership
from peyvand.contacts import services
from peyvand.contacts.models import Company, Contact


def make_contact(
    actor: Membership, first_name: str = "Sara", last_name: str = "Ahmadi", **data: Any
) -> Contact:
    return services.contact_create(
        actor=actor, data={"first_name": first_name, "last_name": last_name, **data}
    )


def make_company(actor: Membership, name: str = "Acme Trading", **data: Any) -> Company:
    return services.company_create(actor=actor, data={"name": name, **data})


def every_page(queryset: Any, *, ordering: str, limit: int, **plan: Any) -> list[int]:
    """The ids `keyset_page` gives page after page, following each page's cursor to the end."""
    from peyvand.core.pagination import keyset_page

    seen: list[int] = []
    cursor = None
    while True:
        page = keyset_page(queryset, ordering=ordering, limit=limit, cursor=cursor, **plan)
        seen.extend(record.pk for record in page.items)
        cursor = page.next_cursor
        if cursor is None:
            return seen
