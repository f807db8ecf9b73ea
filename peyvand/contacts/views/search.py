"""The top bar's search: contacts and companies as you type (htmx), or a results page without script."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from peyvand.accounts.decorators import member_required
from peyvand.contacts import access, selectors
from peyvand.contacts.views.common import hidden_for, is_htmx, member_of
from peyvand.contacts.views.presenters import contact_label


@member_required
def search(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    query = request.GET.get("q", "").strip()[:100]
    found = selectors.quick_search(member, query, limit=8 if is_htmx(request) else 50)
    contact_hidden = hidden_for(member, "contact")
    company_hidden = hidden_for(member, "company")
    # A contact's company shows as everywhere: only one the member may see, not in the recycle bin.
    shown = (
        access.shown_company_ids(member, (c.company for c in found["contacts"] if c.company_id))
        if "company" not in contact_hidden and "name" not in company_hidden
        else set()
    )
    contacts = [
        {
            "record": c,
            "label": contact_label(c, contact_hidden),
            "detail": c.company.name if c.company_id in shown else "",
        }
        for c in found["contacts"]
    ]
    companies = [
        {"record": c, "label": c.name if "name" not in company_hidden else f"#{c.pk}"}
        for c in found["companies"]
    ]
    context = {"query": query, "contacts": contacts, "companies": companies}
    template = "contacts/search.html#results" if is_htmx(request) else "contacts/search.html"
    return render(request, template, context)
