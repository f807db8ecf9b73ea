"""Downloads of the contact and company lists (CSV, Excel, vCard) and of one contact's vCard.

A list export takes the list page's own query string (filters, `columns`, `ordering`), so it holds what the
page shows — every page of it, within the member's export scope. The work is in contacts/exporting.py.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from peyvand.accounts.decorators import member_required
from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.contacts import exporting
from peyvand.contacts.views.common import error_text, list_params, member_of
from peyvand.core.errors import ValidationFailedError
from peyvand.core.text import to_ascii_digits

LIST_URLS = {"contact": "contacts:contact_list", "company": "contacts:company_list"}
EXPORT_URLS = {"contact": "contacts:contact_export", "company": "contacts:company_export"}


def export_links(member: Membership, entity: str, query: str) -> list[tuple[str, str, str]]:
    """The list page's Export menu: (format, label, URL carrying the list's query string) per format the
    entity offers; none when the member's role may not export it."""
    if not member.may(Action.EXPORT, entity=entity):
        return []
    labels = {"csv": _("CSV"), "xlsx": _("Excel (XLSX)"), "vcf": _("vCard")}
    url = reverse(EXPORT_URLS[entity])
    return [
        (kind, labels[kind], f"{url}?{'&'.join(filter(None, [query, urlencode({'format': kind})]))}")
        for kind in exporting.FORMATS[entity]
    ]


def _export(request: HttpRequest, entity: str) -> HttpResponseBase:
    member = member_of(request)
    raw_view = to_ascii_digits(request.GET.get("view", "").strip())
    try:
        if raw_view and not (raw_view.isascii() and raw_view.isdigit() and len(raw_view) < 19):
            raise ValidationFailedError(fields={"view": [_("Saved view not found.")]})
        export = exporting.export_start(
            member=member,
            entity=entity,
            format=request.GET.get("format", "csv"),
            params=request.GET,
            view_id=int(raw_view) if raw_view else None,
        )
    except ValidationFailedError as error:
        # Back to the list with the same query, where the filters' problems show next to them.
        messages.error(request, error_text(error))
        query = list_params(request.GET, drop=("format", "view", "cursor", "before")).urlencode()
        return redirect(reverse(LIST_URLS[entity]) + (f"?{query}" if query else ""))
    return exporting.streaming_response(export)


@member_required
@require_safe
def contact_export(request: HttpRequest) -> HttpResponseBase:
    return _export(request, "contact")


@member_required
@require_safe
def company_export(request: HttpRequest) -> HttpResponseBase:
    return _export(request, "company")


@member_required
@require_safe
def contact_vcard(request: HttpRequest, contact_id: int) -> StreamingHttpResponse:
    """One contact as a vCard: 404 when the member cannot see it, 403 when they may not export it."""
    card, filename = exporting.contact_vcard_export(member=member_of(request), contact_id=contact_id)
    return exporting.attachment([card.encode("utf-8")], exporting.CONTENT_TYPES["vcf"], filename)
