"""Contact screens: the list (filters, columns, paging, bulk actions, quick create), the contact page
(profile, notes, timeline, in-place edits) and the full form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from peyvand.accounts import policy
from peyvand.accounts.decorators import member_required
from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.contacts import access, selectors, services
from peyvand.contacts.forms import (
    ContactFilterForm,
    ContactForm,
    QuickContactForm,
)
from peyvand.contacts.models import Contact, LifecycleStage
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
from peyvand.contacts.views.inline import inline_fields
from peyvand.contacts.views.notes import timeline_context
from peyvand.contacts.views.pickers import company_lookup
from peyvand.contacts.views.presenters import (
    CONTACT_COLUMNS,
    CONTACT_DEFAULT_COLUMNS,
    contact_label,
    custom_member_ids,
    custom_value,
    member_names,
    phone_text,
)
from peyvand.core import customfields, recycle
from peyvand.core.errors import (
    ConflictError,
    DomainError,
    PermissionDeniedError,
    ValidationFailedError,
)


def _access(member: Membership, record_id: int, action: str) -> Contact:
    return access.access_contact(member=member, contact_id=record_id, action=action)


def _update(*, actor: Membership, record: Contact, changes: dict[str, Any]) -> Contact:
    return services.contact_update(actor=actor, contact=record, changes=changes)


SPEC = lists.ListSpec(
    entity="contact",
    columns=CONTACT_COLUMNS,
    default_columns=CONTACT_DEFAULT_COLUMNS,
    orderings=selectors.CONTACT_ORDERINGS,
    query=selectors.contact_list,
    related=("company", "owner__user", "lifecycle_stage"),
    tags=selectors.contact_tags,
    label=contact_label,
    access=_access,
    update=_update,
    url="contacts:contact",
    unshown=(
        "search_text",
        "name_normalized",
        "company__search_text",
        "company__name_normalized",
        "company__description",
        "company__addresses",
        "company__custom",
        "owner__user__password",
    ),
)


def _require_view(member: Membership) -> None:
    if not member.may(Action.VIEW, entity="contact"):
        raise PermissionDeniedError()


def _quick_form(member: Membership, data: Any = None) -> QuickContactForm | None:
    if not member.may(Action.CREATE, entity="contact"):
        return None
    return QuickContactForm(
        data,
        hidden=hidden_for(member, "contact"),
        read_only=policy.read_only_fields(member, "contact"),
    )


# ----------------------------------------------------------------------------- list


@member_required
def contact_list(request: HttpRequest) -> HttpResponse:
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
    stages = list(LifecycleStage.objects.filter(workspace_id=member.workspace_id))
    context["filter_form"] = ContactFilterForm(
        filter_form_data(context["params"]),
        tags=tags,
        members=members,
        definitions=context["definitions"],
        hidden=context["hidden"],
        stages=stages,
        company_lookup=company_lookup(member),
    )
    context |= saved_view_screens.menu_context(member, "contact", context, context["filter_form"].fields)
    context["bulk"] = lists.bulk_panel(member, SPEC, members=members, tags=tags, stages=stages)
    context["quick_form"] = _quick_form(member)
    context["title"] = _("Contacts")
    context["new_url"] = (
        reverse("contacts:contact_new") if member.may(Action.CREATE, entity="contact") else ""
    )
    return render(request, "contacts/list.html", context, status=status)


@member_required
def contact_count(request: HttpRequest) -> HttpResponse:
    _require_view(member_of(request))
    return HttpResponse(lists.count_text(request, SPEC))


@member_required
@require_POST
def contact_bulk(request: HttpRequest) -> HttpResponse:
    _require_view(member_of(request))
    return lists.bulk_apply(request, SPEC)


@member_required
@require_POST
def contact_quick_create(request: HttpRequest) -> HttpResponse:
    """The list's quick create: on success a fresh form and a link to the new contact, and the list
    reloads (the `contacts-changed` event); on error the form again with the problems."""
    member = member_of(request)
    form = _quick_form(member, request.POST)
    if form is None:
        raise PermissionDeniedError()
    created = None
    held: list[merge_views.Likely] = []
    if form.is_valid():
        try:
            held = merge_views.quick_form_duplicates(member, form, request.POST)
            if not held:
                created = services.contact_create(actor=member, data=form.data_for_service())
        except DomainError as error:
            apply_errors(form, error)
    if created is not None and not is_htmx(request):
        messages.success(request, _("Contact created."))
        return redirect("contacts:contact_detail", contact_id=created.pk)
    context = {
        "quick_form": _quick_form(member) if created else form,
        "created": created,
        "created_label": contact_label(created, hidden_for(member, "contact")) if created else "",
        **merge_views.panel_context(merge_views.CONTACT, held),
    }
    if not is_htmx(request):
        return render(request, "contacts/quick_create.html", context, status=200 if held else 422)
    response = render(request, "contacts/list.html#quick", context, status=200 if created or held else 422)
    return trigger_client_event(response, "contacts-changed") if created else response


# ----------------------------------------------------------------------------- contact page


def detail_context(member: Membership, contact: Contact) -> dict[str, Any]:
    hidden = hidden_for(member, "contact")
    read_only = policy.read_only_fields(member, "contact")
    workspace = member.workspace
    definitions = [
        d for d in customfields.definitions(member.workspace_id, "contact") if d.path not in hidden
    ]
    members = member_names(member.workspace_id, custom_member_ids(definitions, [contact]))
    custom = [
        custom_value(
            d,
            contact.custom.get(d.key),
            members=members,
            region=workspace.country,
            currency=workspace.default_currency,
        )
        for d in definitions
    ]
    may_change = member.may(Action.CHANGE, contact)
    company_visible = bool(
        contact.company_id and access.companies_visible_to(member).filter(pk=contact.company_id).exists()
    )
    context: dict[str, Any] = {
        "contact": contact,
        "label": contact_label(contact, hidden),
        "hidden": hidden,
        "emails": list(contact.emails.all()) if "emails" not in hidden else [],
        "phones": [(p, phone_text(p.number, workspace.country)) for p in contact.phones.all()]
        if "phones" not in hidden
        else [],
        "tags": selectors.contact_tags([contact.pk]).get(contact.pk, []) if "tags" not in hidden else [],
        "custom": [c for c in custom if c.text],
        "company_visible": company_visible,
        "inline": inline_fields(member, contact, hidden, read_only, may_change),
        "may_change": may_change,
        "may_delete": member.may(Action.DELETE, contact),
        "merge_pick_url": reverse("contacts:contact_merge_pick", args=[contact.pk])
        if may_change and member.may(Action.DELETE, entity="contact")
        else "",
        "vcard_url": reverse("contacts:contact_vcard", args=[contact.pk])
        if member.may(Action.EXPORT, contact)
        else "",
    }
    context.update(timeline_context(member, contact=contact, definitions=definitions))
    return context


@member_required
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    member = member_of(request)
    contact = access.access_contact(member=member, contact_id=contact_id)
    return render(request, "contacts/contact_detail.html", detail_context(member, contact))


@member_required
@require_POST
def contact_delete(request: HttpRequest, contact_id: int) -> HttpResponse:
    member = member_of(request)
    contact = access.access_contact(member=member, contact_id=contact_id, action=Action.DELETE)
    recycle.soft_delete(actor=member, record=contact)
    label = contact_label(contact, hidden_for(member, "contact"))
    messages.success(request, _("“%(name)s” moved to the recycle bin.") % {"name": label})
    return redirect("contacts:contact_list")


# ----------------------------------------------------------------------------- full form


def contact_form(member: Membership, data: Any, contact: Contact | None) -> ContactForm:
    """The contact form as this member may fill it: hidden fields left out, read-only ones disabled,
    the owner only with the assign permission, companies the member can see."""
    members = lists.active_members(member)
    if contact is not None and contact.owner is not None and contact.owner not in members:
        members.append(contact.owner)
    tag_names = (
        [t.name for t in selectors.contact_tags([contact.pk]).get(contact.pk, [])]
        if contact is not None
        else []
    )
    form = ContactForm(
        data,
        record=contact,
        definitions=customfields.definitions(member.workspace_id, "contact"),
        members=members,
        hidden=hidden_for(member, "contact"),
        read_only=policy.read_only_fields(member, "contact"),
        region=member.workspace.country,
        company_lookup=company_lookup(member),
        stages=list(LifecycleStage.objects.filter(workspace_id=member.workspace_id)),
        may_assign=member.may(Action.ASSIGN, contact)
        if contact
        else member.may(Action.ASSIGN, entity="contact"),
        tag_names=tag_names,
        initial={"owner": member.pk} if contact is None else None,
    )
    return form


def precheck(member: Membership, changes: dict[str, Any], contact: Contact | None) -> None:
    """Every part of the form through the service's cleaning functions first, so all problems show at once."""
    region = member.workspace.country
    checks = [
        (lambda: services.clean_emails(changes["emails"])) if "emails" in changes else None,
        (lambda: services.clean_phones(changes["phones"], region)) if "phones" in changes else None,
        (lambda: services.clean_addresses(changes["addresses"])) if "addresses" in changes else None,
        (lambda: services.clean_social(changes["social"])) if "social" in changes else None,
        (lambda: services.clean_website(changes["website"])) if "website" in changes else None,
        lambda: customfields.clean_custom_values(
            customfields.definitions(member.workspace_id, "contact"),
            changes.get("custom", {}),
            current=contact.custom if contact is not None else None,
            region=region,
            partial=contact is not None,
        ),
    ]
    collect_refusals(*(check for check in checks if check is not None))


@member_required
def contact_edit(request: HttpRequest, contact_id: int | None = None) -> HttpResponse:
    """Create (no id) or change a contact. Nothing is saved when the service refuses: its per-field
    problems show next to the inputs and what was typed stays."""
    member = member_of(request)
    contact = None
    if contact_id is None:
        if not member.may(Action.CREATE, entity="contact"):
            raise PermissionDeniedError()
    else:
        contact = access.access_contact(member=member, contact_id=contact_id, action=Action.CHANGE)
    form = contact_form(member, request.POST if request.method == "POST" else None, contact)
    held: list[merge_views.Likely] = []
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            precheck(member, changes, contact)
            held = merge_views.contact_form_duplicates(member, form, contact, request.POST)
            if held:
                saved = None  # shown first: possible duplicates the user has not confirmed
            elif contact is None:
                saved = services.contact_create(actor=member, data=changes)
            else:
                saved = services.contact_update(
                    actor=member,
                    contact=contact,
                    changes=changes,
                    expected_version=form.cleaned_data.get("expected_version"),
                )
        except (ValidationFailedError, PermissionDeniedError) as error:
            apply_errors(form, error)
        except ConflictError as error:
            form.add_error(None, error.message)
        else:
            if saved is not None:
                messages.success(request, _("Contact saved.") if contact else _("Contact created."))
                return redirect("contacts:contact_detail", contact_id=saved.pk)
    hidden = hidden_for(member, "contact")
    context = {
        "form": form,
        "contact": contact,
        "label": contact_label(contact, hidden) if contact else "",
        "tag_names": [t.name for t in lists.visible_tags(member)],
        **merge_views.panel_context(merge_views.CONTACT, held, contact),
    }
    return render(request, "contacts/contact_form.html", context, status=form_status(form))
