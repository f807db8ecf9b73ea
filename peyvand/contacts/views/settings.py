"""Settings screens of the contacts app: tags (rename, recolour, merge, delete), custom fields per record
type, and the lifecycle list. Gated by the `tag` and `custom_field` policy entities (the lifecycle list is
one of the workspace's "custom fields and lists")."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from peyvand.accounts.decorators import member_required
from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.contacts import services
from peyvand.contacts.forms import CustomFieldForm, LifecycleStageForm, TagForm, TagMergeForm
from peyvand.contacts.models import Contact, LifecycleStage
from peyvand.contacts.views.common import apply_errors, error_text, form_status, member_of
from peyvand.core import customfields, recycle, tags
from peyvand.core.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from peyvand.core.models import CustomField

RECORD_TYPES = {"contact": gettext_lazy("Contacts"), "company": gettext_lazy("Companies")}


def _require(member: Membership, action: str, entity: str) -> None:
    if not member.may(action, entity=entity):
        raise PermissionDeniedError()


# ----------------------------------------------------------------------------- tags


def _tag_context(
    member: Membership, create_form: TagForm | None = None, merge_form: Any = None
) -> dict[str, Any]:
    all_tags = list(tags.tags_visible_to(member).order_by("name"))
    usage = tags.tag_usage(member.workspace_id, [t.pk for t in all_tags])
    may_merge = member.may(Action.CHANGE, entity="tag") and member.may(Action.DELETE, entity="tag")
    return {
        "rows": [
            {"tag": t, "contacts": usage[t.pk].get("contact", 0), "companies": usage[t.pk].get("company", 0)}
            for t in all_tags
        ],
        # A colour input cannot be empty: offer the next colour of the palette.
        "create_form": (
            create_form or TagForm(initial={"color": tags.PALETTE[len(all_tags) % len(tags.PALETTE)]})
        )
        if member.may(Action.CREATE, entity="tag")
        else None,
        "merge_form": (merge_form or TagMergeForm(tags=all_tags))
        if may_merge and len(all_tags) > 1
        else None,
        "may_change": member.may(Action.CHANGE, entity="tag"),
    }


@member_required
def tag_list(request: HttpRequest) -> HttpResponse:
    """The workspace's tags with how many contacts and companies carry each; POST creates one."""
    member = member_of(request)
    _require(member, Action.VIEW, "tag")
    form = None
    if request.method == "POST":
        _require(member, Action.CREATE, "tag")
        form = TagForm(request.POST)
        if form.is_valid():
            try:
                tag = tags.tag_create(
                    actor=member, name=form.cleaned_data["name"], color=form.cleaned_data["color"] or None
                )
            except DomainError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Tag “%(name)s” created.") % {"name": tag.name})
                return redirect("contacts:tags")
    return render(
        request, "contacts/settings/tags.html", _tag_context(member, form), status=form_status(form)
    )


@member_required
def tag_edit(request: HttpRequest, tag_id: int) -> HttpResponse:
    member = member_of(request)
    tag = tags.access_tag(member=member, tag_id=tag_id)
    may_change = member.may(Action.CHANGE, tag)
    form = TagForm(
        request.POST if request.method == "POST" else None,
        initial={"name": tag.name, "color": tag.color, "expected_version": tag.version},
    )
    if not may_change:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST":
        tag = tags.access_tag(member=member, tag_id=tag_id, action=Action.CHANGE)
        if form.is_valid():
            try:
                tags.tag_update(
                    actor=member,
                    tag=tag,
                    changes={"name": form.cleaned_data["name"], "color": form.cleaned_data["color"]},
                    expected_version=form.cleaned_data.get("expected_version"),
                )
            except ConflictError as error:
                form.add_error(None, error.message)
            except DomainError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Tag “%(name)s” saved.") % {"name": tag.name})
                return redirect("contacts:tags")
    usage = tags.tag_usage(member.workspace_id, [tag.pk])[tag.pk]
    context = {
        "tag": tag,
        "form": form,
        "may_change": may_change,
        "may_delete": member.may(Action.DELETE, tag),
        "usage": usage,
    }
    return render(request, "contacts/settings/tag_edit.html", context, status=form_status(form))


@member_required
@require_POST
def tag_merge(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    _require(member, Action.CHANGE, "tag")
    _require(member, Action.DELETE, "tag")
    all_tags = list(tags.tags_visible_to(member).order_by("name"))
    form = TagMergeForm(request.POST, tags=all_tags)
    if form.is_valid():
        by_id = {t.pk: t for t in all_tags}
        target = by_id[form.cleaned_data["target"]]
        sources = [by_id[pk] for pk in form.cleaned_data["sources"]]
        tags.tag_merge(actor=member, sources=sources, target=target)
        messages.success(
            request,
            _("Merged %(names)s into “%(target)s”.")
            % {"names": ", ".join(f"“{s.name}”" for s in sources), "target": target.name},
        )
        return redirect("contacts:tags")
    return render(request, "contacts/settings/tags.html", _tag_context(member, merge_form=form), status=422)


@member_required
@require_POST
def tag_delete(request: HttpRequest, tag_id: int) -> HttpResponse:
    member = member_of(request)
    tag = tags.access_tag(member=member, tag_id=tag_id, action=Action.DELETE)
    tags.tag_delete(actor=member, tag=tag)
    messages.success(request, _("Tag “%(name)s” deleted.") % {"name": tag.name})
    return redirect("contacts:tags")


# ----------------------------------------------------------------------------- custom fields


def _record_type(value: str | None) -> str:
    return value if value in RECORD_TYPES else "contact"


def _access_custom_field(member: Membership, field_id: int, action: str = Action.VIEW) -> CustomField:
    """A live custom field of the member's workspace (404 otherwise); 403 without the permission."""
    _require(member, Action.VIEW, "custom_field")
    field = CustomField.objects.filter(workspace_id=member.workspace_id, pk=field_id).first()
    if field is None:
        raise NotFoundError()
    _require(member, action, "custom_field")
    return field


@member_required
def custom_field_list(request: HttpRequest) -> HttpResponse:
    """The custom fields of one record type (`?entity=contact|company`); POST defines a new one."""
    member = member_of(request)
    _require(member, Action.VIEW, "custom_field")
    entity = _record_type(request.GET.get("entity"))
    form = None
    if member.may(Action.CREATE, entity="custom_field"):
        form = CustomFieldForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form is None:
            raise PermissionDeniedError()
        if form.is_valid():
            data = form.cleaned_data
            try:
                field = customfields.custom_field_create(
                    actor=member,
                    data={
                        "entity": entity,
                        "label": data["label"],
                        "field_type": data["field_type"],
                        "key": data.get("key") or None,
                        "choices": form.choices_for_service(),
                        "help_text": data["help_text"],
                        "required": data["required"],
                        "searchable": data["searchable"],
                    },
                )
            except DomainError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Field “%(label)s” added.") % {"label": field.label})
                return redirect(reverse("contacts:custom_fields") + f"?entity={entity}")
    context = {
        "entity": entity,
        "record_types": RECORD_TYPES.items(),
        "fields": customfields.definitions(member.workspace_id, entity),
        "form": form,
        "may_change": member.may(Action.CHANGE, entity="custom_field"),
    }
    return render(request, "contacts/settings/custom_fields.html", context, status=form_status(form))


@member_required
def custom_field_edit(request: HttpRequest, field_id: int) -> HttpResponse:
    member = member_of(request)
    field = _access_custom_field(member, field_id)
    may_change = member.may(Action.CHANGE, entity="custom_field")
    form = CustomFieldForm(request.POST if request.method == "POST" else None, field=field)
    if not may_change:
        for input_field in form.fields.values():
            input_field.disabled = True
    if request.method == "POST":
        _require(member, Action.CHANGE, "custom_field")
        if form.is_valid():
            data = form.cleaned_data
            changes: dict[str, Any] = {
                "label": data["label"],
                "help_text": data["help_text"],
                "required": data["required"],
                "searchable": data["searchable"],
            }
            if data.get("position") is not None:
                changes["position"] = data["position"]
            if field.field_type in ("choice", "multi_choice"):
                changes["choices"] = form.choices_for_service()
            try:
                customfields.custom_field_update(
                    actor=member, field=field, changes=changes, expected_version=data.get("expected_version")
                )
            except ConflictError as error:
                form.add_error(None, error.message)
            except DomainError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Field “%(label)s” saved.") % {"label": field.label})
                return redirect(reverse("contacts:custom_fields") + f"?entity={field.entity}")
    context = {
        "field": field,
        "form": form,
        "may_change": may_change,
        "may_delete": member.may(Action.DELETE, entity="custom_field"),
        "record_type": RECORD_TYPES.get(field.entity, field.entity),
    }
    return render(request, "contacts/settings/custom_field_edit.html", context, status=form_status(form))


@member_required
@require_POST
def custom_field_delete(request: HttpRequest, field_id: int) -> HttpResponse:
    member = member_of(request)
    field = _access_custom_field(member, field_id, Action.DELETE)
    recycle.soft_delete(actor=member, record=field)
    messages.success(request, _("Field “%(label)s” moved to the recycle bin.") % {"label": field.label})
    return redirect(reverse("contacts:custom_fields") + f"?entity={field.entity}")


# ----------------------------------------------------------------------------- lifecycle stages


def _stage(member: Membership, stage_id: int, action: str) -> LifecycleStage:
    _require(member, Action.VIEW, "custom_field")
    stage = LifecycleStage.objects.filter(workspace_id=member.workspace_id, pk=stage_id).first()
    if stage is None:
        raise NotFoundError()
    _require(member, action, "custom_field")
    return stage


def _stage_rows(member: Membership) -> list[dict[str, Any]]:
    stages = list(LifecycleStage.objects.filter(workspace_id=member.workspace_id))
    counts = dict(
        Contact.objects.filter(workspace_id=member.workspace_id, lifecycle_stage__isnull=False)
        .values_list("lifecycle_stage")
        .annotate(n=Count("pk"))
        .values_list("lifecycle_stage", "n")
    )
    return [
        {
            "stage": s,
            "contacts": counts.get(s.pk, 0),
            "form": LifecycleStageForm(
                initial={"name": s.label, "position": s.position}, auto_id=f"pv-stage-{s.pk}-%s"
            ),
            "first": i == 0,
            "last": i == len(stages) - 1,
        }
        for i, s in enumerate(stages)
    ]


@member_required
def lifecycle_list(request: HttpRequest) -> HttpResponse:
    """The lifecycle stages in order, with how many contacts are at each; POST adds a stage."""
    member = member_of(request)
    _require(member, Action.VIEW, "custom_field")
    may_create = member.may(Action.CREATE, entity="custom_field")
    form = LifecycleStageForm(request.POST if request.method == "POST" else None) if may_create else None
    if request.method == "POST":
        if form is None:
            raise PermissionDeniedError()
        if form.is_valid():
            try:
                stage = services.lifecycle_stage_save(
                    actor=member,
                    stage=None,
                    name=form.cleaned_data["name"],
                    position=form.cleaned_data["position"],
                )
            except DomainError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Stage “%(name)s” added.") % {"name": stage.label})
                return redirect("contacts:lifecycle")
    context = {
        "rows": _stage_rows(member),
        "form": form,
        "may_change": member.may(Action.CHANGE, entity="custom_field"),
        "may_delete": member.may(Action.DELETE, entity="custom_field"),
    }
    return render(request, "contacts/settings/lifecycle.html", context, status=form_status(form))


@member_required
@require_POST
def lifecycle_edit(request: HttpRequest, stage_id: int) -> HttpResponse:
    member = member_of(request)
    stage = _stage(member, stage_id, Action.CHANGE)
    form = LifecycleStageForm(request.POST, auto_id=f"pv-stage-{stage.pk}-%s")
    if form.is_valid():
        try:
            services.lifecycle_stage_save(
                actor=member,
                stage=stage,
                name=form.cleaned_data["name"],
                position=form.cleaned_data["position"],
            )
        except DomainError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Stage “%(name)s” saved.") % {"name": stage.label})
    else:
        messages.error(request, " ".join(str(m) for errors in form.errors.values() for m in errors))
    return redirect("contacts:lifecycle")


@member_required
@require_POST
def lifecycle_move(request: HttpRequest, stage_id: int) -> HttpResponse:
    """Move a stage one place up or down (positions are renumbered 0, 1, 2… in the new order)."""
    member = member_of(request)
    stage = _stage(member, stage_id, Action.CHANGE)
    stages = list(LifecycleStage.objects.filter(workspace_id=member.workspace_id))
    index = next(i for i, s in enumerate(stages) if s.pk == stage.pk)
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= other < len(stages):
        stages[index], stages[other] = stages[other], stages[index]
        for position, item in enumerate(stages):
            if item.position != position:
                services.lifecycle_stage_save(actor=member, stage=item, name=item.label, position=position)
    return redirect("contacts:lifecycle")


@member_required
@require_POST
def lifecycle_delete(request: HttpRequest, stage_id: int) -> HttpResponse:
    member = member_of(request)
    stage = _stage(member, stage_id, Action.DELETE)
    label = stage.label
    services.lifecycle_stage_delete(actor=member, stage=stage)
    messages.success(request, _("Stage “%(name)s” deleted.") % {"name": label})
    return redirect("contacts:lifecycle")
