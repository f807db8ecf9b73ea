"""In-place edits on the contact page (job title, lifecycle stage, owner): click, change, save, and the
field shows again; with htmx the page stays, without it a small page does the same."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django_htmx.http import trigger_client_event

from peyvand.accounts import policy
from peyvand.accounts.decorators import member_required
from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.contacts import access, services
from peyvand.contacts.forms import InlineForm, member_choices
from peyvand.contacts.models import Contact, LifecycleStage
from peyvand.contacts.views import lists
from peyvand.contacts.views.common import error_text, hidden_for, is_htmx, member_of
from peyvand.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError

INLINE_FIELDS = ("job_title", "lifecycle_stage", "owner")
INLINE_LABELS = {
    "job_title": gettext_lazy("Job title"),
    "lifecycle_stage": gettext_lazy("Lifecycle stage"),
    "owner": gettext_lazy("Owner"),
}


def _inline_display(contact: Contact, name: str, editable: bool) -> dict[str, Any]:
    if name == "job_title":
        text = contact.job_title
    elif name == "lifecycle_stage":
        text = contact.lifecycle_stage.label if contact.lifecycle_stage else ""
    else:
        text = contact.owner.user.display_name if contact.owner else ""
    return {"name": name, "label": INLINE_LABELS[name], "text": text, "editable": editable}


def _inline_form(member: Membership, contact: Contact, name: str, data: Any = None) -> InlineForm:
    field: forms.Field
    if name == "job_title":
        field = forms.CharField(label=INLINE_LABELS[name], max_length=150, required=False)
        initial: Any = contact.job_title
    elif name == "lifecycle_stage":
        stages = LifecycleStage.objects.filter(workspace_id=member.workspace_id)
        field = forms.TypedChoiceField(
            label=INLINE_LABELS[name],
            choices=[("", "—"), *((s.pk, s.label) for s in stages)],
            coerce=int,
            empty_value=None,
            required=False,
        )
        initial = contact.lifecycle_stage_id
    else:
        field = forms.TypedChoiceField(
            label=INLINE_LABELS[name],
            choices=member_choices(lists.active_members(member)),
            coerce=int,
            empty_value=None,
            required=False,
        )
        initial = contact.owner_id
    return InlineForm(
        data,
        name=name,
        field=field,
        initial={"value": initial, "expected_version": contact.version},
        auto_id=f"pv-inline-{name}-%s",
    )


@member_required
def contact_inline(request: HttpRequest, contact_id: int, name: str) -> HttpResponse:
    """One field edited in place: GET shows it (or, with `?edit=1`, its input); POST saves it."""
    member = member_of(request)
    contact = access.access_contact(member=member, contact_id=contact_id)
    hidden = hidden_for(member, "contact")
    read_only = policy.read_only_fields(member, "contact")
    field = inline_fields(member, contact, hidden, read_only).get(name)
    if field is None:
        raise NotFoundError()
    editing = request.method == "POST" or request.GET.get("edit") == "1"
    if editing and not field["editable"]:
        raise PermissionDeniedError()
    form = _inline_form(member, contact, name, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        contact = access.access_contact(member=member, contact_id=contact_id, action=Action.CHANGE)
        value = form.cleaned_data["value"]
        try:
            if name == "lifecycle_stage":
                value = access.lifecycle_stage_of(member=member, stage_id=value)
            elif name == "owner":
                value = access.owner_of(member=member, owner_id=value)
            contact = services.contact_update(
                actor=member,
                contact=contact,
                changes={name: value if value is not None or name != "job_title" else ""},
                expected_version=form.cleaned_data.get("expected_version"),
            )
        except (ValidationFailedError, PermissionDeniedError, ConflictError) as error:
            form.add_error("value", error_text(error))
        else:
            contact = access.access_contact(member=member, contact_id=contact_id)
            field = inline_fields(member, contact, hidden, read_only)[name]
            editing = False
    context = {"contact": contact, "field": field, "form": form, "editing": editing}
    status = 422 if form.is_bound and form.errors else 200
    if not is_htmx(request):
        if request.method == "POST" and status == 200:
            return redirect("contacts:contact_detail", contact_id=contact.pk)
        return render(request, "contacts/inline_page.html", context, status=status)
    response = render(request, "contacts/contact_detail.html#inline", context, status=status)
    return (
        trigger_client_event(response, "contact-changed")
        if request.method == "POST" and status == 200
        else response
    )


def inline_fields(
    member: Membership,
    contact: Contact,
    hidden: set[str],
    read_only: set[str],
    may_change: bool | None = None,
) -> dict[str, Any]:
    """The fields edited in place on the contact page, each with whether this member may edit it."""
    if may_change is None:
        may_change = member.may(Action.CHANGE, contact)
    may_assign = may_change and "owner" not in hidden and member.may(Action.ASSIGN, contact)
    fields = {}
    for name in INLINE_FIELDS:
        if name in hidden:
            continue
        editable = may_change and name not in read_only and (name != "owner" or may_assign)
        fields[name] = _inline_display(contact, name, editable)
    return fields
