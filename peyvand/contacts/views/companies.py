"""Company screens: the list (same shape as the contact list), the company page with its people and
subsidiaries, and the form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts import policy
from peyvand.accounts.decorators import member_required
from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.contacts import access, selectors, services
from peyvand.contacts.forms import CompanyForm, ListFilterForm
from peyvand.contacts.models import Company
from peyvand.contacts.views import lists
from peyvand.contacts.views import merges as merge_views
from peyvand.contacts.views import saved_views as saved_view_screens
from peyvand.contacts.views.common import (
    apply_errors,
    canonical_dates,
    collect_refusals,
    filter_form_data,
    form_status,
    hidden_for,
    htmx_target,
    is_htmx,
    member_of,
)
from peyvand.contacts.views.notes import timeline_context
from peyvand.contacts.views.pickers import company_lookup
from peyvand.contacts.views.presenters import (
    COMPANY_COLUMNS,
    COMPANY_DEFAULT_COLUMNS,
    contact_label,
    custom_member_ids,
    custom_value,
    member_names,
    phone_text,
)
from peyvand.core import customfields, recycle
from peyvand.core.calendars import current_format, format_money, format_number
from peyvand.core.errors import ConflictError, PermissionDeniedError, ValidationFailedError

PEOPLE_SHOWN = 100


def _access(member: Membership, record_id: int, action: str) -> Company:
    return access.access_company(member=member, company_id=record_id, action=action)


def _update(*, actor: Membership, record: Company, changes: dict[str, Any]) -> Company:
    return services.company_update(actor=actor, company=record, changes=changes)


def _label(company: Company, hidden: set[str]) -> str:
    return company.name if "name" not in hidden else f"#{company.pk}"


SPEC = lists.ListSpec(
    entity="company",
    columns=COMPANY_COLUMNS,
    default_columns=COMPANY_DEFAULT_COLUMNS,
    orderings=selectors.COMPANY_ORDERINGS,
    query=selectors.company_list,
    related=("owner__user", "parent"),
    tags=selectors.company_tags,
    label=_label,
    access=_access,
    update=_update,
    url="contacts:company",
    company_link="parent",
    unshown=(
        "search_text",
        "name_normalized",
        "parent__search_text",
        "parent__description",
        "owner__user__password",
    ),
)


def _require_view(member: Membership) -> None:
    if not member.may(Action.VIEW, entity="company"):
        raise PermissionDeniedError()


@member_required
def company_list(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    _require_view(member)
    canonical = canonical_dates(request.GET)
    if canonical is not None and not is_htmx(request):
        return redirect(f"{request.path}?{canonical.urlencode()}")
    context = lists.list_context(request, SPEC)
    status = 422 if context["errors"] else 200
    if htmx_target(request) == "pv-results":
        return render(request, "contacts/list.html#results", context, status=status)
    members = lists.active_members(member)
    tags = lists.visible_tags(member)
    context["filter_form"] = ListFilterForm(
        filter_form_data(context["params"]),
        tags=tags,
        members=members,
        definitions=context["definitions"],
        hidden=context["hidden"],
    )
    context |= saved_view_screens.menu_context(member, "company", context, context["filter_form"].fields)
    context["bulk"] = lists.bulk_panel(member, SPEC, members=members, tags=tags)
    context["quick_form"] = None
    context["title"] = _("Companies")
    context["new_url"] = (
        reverse("contacts:company_new") if member.may(Action.CREATE, entity="company") else ""
    )
    return render(request, "contacts/list.html", context, status=status)


@member_required
def company_count(request: HttpRequest) -> HttpResponse:
    _require_view(member_of(request))
    return HttpResponse(lists.count_text(request, SPEC))


@member_required
@require_POST
def company_bulk(request: HttpRequest) -> HttpResponse:
    _require_view(member_of(request))
    return lists.bulk_apply(request, SPEC)


@member_required
def company_detail(request: HttpRequest, company_id: int) -> HttpResponse:
    member = member_of(request)
    company = access.access_company(member=member, company_id=company_id)
    hidden = hidden_for(member, "company")
    workspace = member.workspace
    definitions = [
        d for d in customfields.definitions(member.workspace_id, "company") if d.path not in hidden
    ]
    members = member_names(member.workspace_id, custom_member_ids(definitions, [company]))
    custom = [
        custom_value(
            d,
            company.custom.get(d.key),
            members=members,
            region=workspace.country,
            currency=workspace.default_currency,
        )
        for d in definitions
    ]
    contact_hidden = hidden_for(member, "contact")
    people_qs = (
        access.contacts_visible_to(member).filter(company=company).select_related("owner__user")
        if member.may(Action.VIEW, entity="contact") and "company" not in contact_hidden
        else None
    )
    people = list(people_qs.order_by("sort_key", "id")[:PEOPLE_SHOWN]) if people_qs is not None else []
    phones = sorted(company.phones or [], key=lambda p: not p.get("is_primary"))
    ctx = current_format()
    context: dict[str, Any] = {
        "company": company,
        "label": _label(company, hidden),
        "hidden": hidden,
        "phones": [(p, phone_text(str(p.get("number", "")), workspace.country)) for p in phones]
        if "phones" not in hidden
        else [],
        "tags": selectors.company_tags([company.pk]).get(company.pk, []) if "tags" not in hidden else [],
        "custom": [c for c in custom if c.text],
        "employees": format_number(company.employees, ctx) if company.employees is not None else "",
        "revenue": format_money(company.annual_revenue, workspace.default_currency, ctx)
        if company.annual_revenue is not None
        else "",
        "parent_visible": bool(
            company.parent_id and access.companies_visible_to(member).filter(pk=company.parent_id).exists()
        ),
        "people": [(p, contact_label(p, contact_hidden)) for p in people],
        "people_more": people_qs is not None and len(people) == PEOPLE_SHOWN,
        "people_shown": people_qs is not None,
        "contact_hidden": contact_hidden,
        "people_url": reverse("contacts:contact_list") + f"?company={company.pk}",
        "subsidiaries": list(
            access.companies_visible_to(member)
            .filter(parent=company)
            .order_by("sort_key", "id")[:PEOPLE_SHOWN]
        )
        if "parent" not in hidden
        else [],
        "may_change": member.may(Action.CHANGE, company),
        "may_delete": member.may(Action.DELETE, company),
        "merge_pick_url": reverse("contacts:company_merge_pick", args=[company.pk])
        if member.may(Action.CHANGE, company) and member.may(Action.DELETE, entity="company")
        else "",
    }
    context.update(timeline_context(member, company=company, definitions=definitions))
    return render(request, "contacts/company_detail.html", context)


@member_required
@require_POST
def company_delete(request: HttpRequest, company_id: int) -> HttpResponse:
    member = member_of(request)
    company = access.access_company(member=member, company_id=company_id, action=Action.DELETE)
    recycle.soft_delete(actor=member, record=company)
    messages.success(request, _("“%(name)s” moved to the recycle bin.") % {"name": company.name})
    return redirect("contacts:company_list")


def company_form(member: Membership, data: Any, company: Company | None) -> CompanyForm:
    members = lists.active_members(member)
    if company is not None and company.owner is not None and company.owner not in members:
        members.append(company.owner)
    tag_names = (
        [t.name for t in selectors.company_tags([company.pk]).get(company.pk, [])]
        if company is not None
        else []
    )
    return CompanyForm(
        data,
        record=company,
        definitions=customfields.definitions(member.workspace_id, "company"),
        members=members,
        hidden=hidden_for(member, "company"),
        read_only=policy.read_only_fields(member, "company"),
        region=member.workspace.country,
        parent_lookup=company_lookup(member, exclude_tree_of=company),
        may_assign=member.may(Action.ASSIGN, company)
        if company
        else member.may(Action.ASSIGN, entity="company"),
        tag_names=tag_names,
        initial={"owner": member.pk} if company is None else None,
    )


def precheck(member: Membership, changes: dict[str, Any], company: Company | None) -> None:
    """Every part of the form through the service's cleaning functions first, so all problems show at once."""
    region = member.workspace.country
    checks = [
        (lambda: services.clean_phones(changes["phones"], region)) if "phones" in changes else None,
        (lambda: services.clean_addresses(changes["addresses"])) if "addresses" in changes else None,
        (lambda: services.clean_website(changes["website"])) if "website" in changes else None,
        lambda: customfields.clean_custom_values(
            customfields.definitions(member.workspace_id, "company"),
            changes.get("custom", {}),
            current=company.custom if company is not None else None,
            region=region,
            partial=company is not None,
        ),
    ]
    collect_refusals(*(check for check in checks if check is not None))


@member_required
def company_edit(request: HttpRequest, company_id: int | None = None) -> HttpResponse:
    member = member_of(request)
    company = None
    if company_id is None:
        if not member.may(Action.CREATE, entity="company"):
            raise PermissionDeniedError()
    else:
        company = access.access_company(member=member, company_id=company_id, action=Action.CHANGE)
    form = company_form(member, request.POST if request.method == "POST" else None, company)
    held: list[merge_views.Likely] = []
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            precheck(member, changes, company)
            held = merge_views.company_form_duplicates(member, form, company, request.POST)
            if held:
                saved = None  # shown first: possible duplicates the user has not confirmed
            elif company is None:
                saved = services.company_create(actor=member, data=changes)
            else:
                saved = services.company_update(
                    actor=member,
                    company=company,
                    changes=changes,
                    expected_version=form.cleaned_data.get("expected_version"),
                )
        except (ValidationFailedError, PermissionDeniedError) as error:
            apply_errors(form, error)
        except ConflictError as error:
            form.add_error(None, error.message)
        else:
            if saved is not None:
                messages.success(request, _("Company saved.") if company else _("Company created."))
                return redirect("contacts:company_detail", company_id=saved.pk)
    context = {
        "form": form,
        "company": company,
        "tag_names": [t.name for t in lists.visible_tags(member)],
        **merge_views.panel_context(merge_views.COMPANY, held, company),
    }
    return render(request, "contacts/company_form.html", context, status=form_status(form))
