"""Type-ahead pickers of the contacts screens: the options endpoint the browser asks as a user types, and
the lookups the forms check a chosen record with (see forms/pickers.py and static/peyvand/pickers.js)."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from peyvand.accounts.decorators import member_required
from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.contacts import access, selectors
from peyvand.contacts.forms.pickers import RecordLookup, record_id
from peyvand.contacts.models import Company
from peyvand.contacts.views.common import hidden_for, member_of
from peyvand.core.errors import DomainError, PermissionDeniedError

QUERY_MAX = 100
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")  # never typed; PostgreSQL refuses NUL in a query


def company_label(company: Company, hidden: set[str]) -> str:
    return company.name if "name" not in hidden else f"#{company.pk}"


def company_lookup(member: Membership, *, exclude_tree_of: Company | None = None) -> RecordLookup:
    """The companies `member` may choose in a form: the ones they see (row scope), named as their field
    rules allow. With `exclude_tree_of` (a company's parent) the script is not offered that company or
    its subsidiaries; a choice among them is still refused by the service, not here."""
    visible = access.companies_visible_to(member).only("id", "name", "workspace_id")
    hidden = hidden_for(member, "company")
    url = reverse("contacts:company_options")
    if exclude_tree_of is not None:
        url = f"{url}?{urlencode({'exclude_tree_of': exclude_tree_of.pk})}"
    return RecordLookup(
        find=lambda pk: visible.filter(pk=pk).first(),
        label=lambda company: company_label(company, hidden),
        url=url,
        unseen_label=_("A company you cannot see"),
    )


def _may_reparent(member: Membership, company_id: int, hidden: set[str]) -> bool:
    """Whether the member may choose this company's parent: only then does the picker leave out its tree."""
    if "parent" in hidden:
        return False
    try:
        access.access_company(member=member, company_id=company_id, action=Action.CHANGE)
    except DomainError:
        return False
    return True


@member_required
@require_GET
def company_options(request: HttpRequest) -> HttpResponse:
    """`GET /companies/options/?q=…[&exclude_tree_of=<id>]` → `[{"id": 7, "label": "Parsian Trading"}, …]`:
    the best matches among the companies the member sees (see `selectors.company_options`)."""
    member = member_of(request)
    if not member.may(Action.VIEW, entity="company"):
        raise PermissionDeniedError()
    query = CONTROL_CHARACTERS.sub(" ", request.GET.get("q", "")[:QUERY_MAX])
    hidden = hidden_for(member, "company")
    exclude = record_id(request.GET.get("exclude_tree_of"))
    if exclude is not None and not _may_reparent(member, exclude, hidden):
        exclude = None  # what drops out would show a hierarchy the member may not see
    companies = selectors.company_options(member, query, exclude_tree_of=exclude)
    response = JsonResponse([{"id": c.pk, "label": company_label(c, hidden)} for c in companies], safe=False)
    response["Cache-Control"] = "private, no-store"  # answers depend on the member's rights, which change
    return response
