"""The only ways in to contacts, companies and notes (ARCHITECTURE §4).

A record the member cannot see answers NotFoundError (404), like a missing one; PermissionDeniedError
(403) when they can see it but may not do the action.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.contacts.models import Company, Contact, LifecycleStage, Note
from peyvand.core.errors import NotFoundError, PermissionDeniedError
from peyvand.core.models import ScopedQuerySet


def contacts_visible_to(member: Membership) -> ScopedQuerySet:
    """Live contacts of the member's workspace within their view scope (none / own / team / all)."""
    scope = member.scope_for("contact", Action.VIEW)
    return Contact.objects.in_workspace(member.workspace_id).within_scope(scope, member)


def access_contact(*, member: Membership, contact_id: int, action: str = Action.VIEW) -> Contact:
    contact = (
        contacts_visible_to(member)
        .select_related("company", "owner__user", "lifecycle_stage")
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        raise NotFoundError(_("Contact not found."))
    if action != Action.VIEW and not member.may(action, contact):
        raise PermissionDeniedError()
    return contact


def companies_visible_to(member: Membership) -> ScopedQuerySet:
    scope = member.scope_for("company", Action.VIEW)
    return Company.objects.in_workspace(member.workspace_id).within_scope(scope, member)


def shown_company_ids(member: Membership, companies: Iterable[Company | None]) -> set[int]:
    """Which of these linked companies (a contact's company, a company's parent) an output may show: one
    the member may see and not in the recycle bin. Every output (API, lists, pages, search, merge screen)
    asks this; one query, none when the member sees every company."""
    live = {company.pk for company in companies if company is not None and company.deleted_at is None}
    if not live or member.scope_for("company", Action.VIEW) == "all":
        return live
    return set(companies_visible_to(member).filter(pk__in=live).values_list("pk", flat=True))


def company_names(member: Membership, ids: Iterable[int]) -> dict[int, str]:
    """The names of the companies among `ids` an output may show (as shown_company_ids): one query."""
    wanted = set(ids)
    if not wanted:
        return {}
    return dict(companies_visible_to(member).filter(pk__in=wanted).values_list("pk", "name"))


def access_company(*, member: Membership, company_id: int, action: str = Action.VIEW) -> Company:
    company = (
        companies_visible_to(member).select_related("owner__user", "parent").filter(pk=company_id).first()
    )
    if company is None:
        raise NotFoundError(_("Company not found."))
    if action != Action.VIEW and not member.may(action, company):
        raise PermissionDeniedError()
    return company


def linkable_company(
    *, member: Membership, company_id: int | None, field: str = "company_id"
) -> Company | None:
    """A company the member may link a record to: one they can see (else a 422 naming the field)."""
    if company_id is None:
        return None
    company = companies_visible_to(member).filter(pk=company_id).first()
    if company is None:
        from peyvand.core.errors import ValidationFailedError

        raise ValidationFailedError(fields={field: [_("Unknown company.")]})
    return company


def lifecycle_stage_of(*, member: Membership, stage_id: int | None) -> LifecycleStage | None:
    if stage_id is None:
        return None
    stage = LifecycleStage.objects.filter(workspace_id=member.workspace_id, pk=stage_id).first()
    if stage is None:
        from peyvand.core.errors import ValidationFailedError

        raise ValidationFailedError(fields={"lifecycle_stage_id": [_("Unknown lifecycle stage.")]})
    return stage


def owner_of(*, member: Membership, owner_id: int | None) -> Membership | None:
    if owner_id is None:
        return None
    owner = Membership.objects.filter(workspace_id=member.workspace_id, pk=owner_id, is_active=True).first()
    if owner is None:
        from peyvand.core.errors import ValidationFailedError

        raise ValidationFailedError(fields={"owner_id": [_("Choose an active member of this workspace.")]})
    return owner


def access_note(*, member: Membership, note_id: int, action: str = Action.VIEW) -> Note:
    """A note is visible with the record it is on; changing or deleting it follows the note permission."""
    note = Note.objects.filter(workspace_id=member.workspace_id, pk=note_id).first()
    if note is None:
        raise NotFoundError(_("Note not found."))
    if note.contact_id is not None and not contacts_visible_to(member).filter(pk=note.contact_id).exists():
        raise NotFoundError(_("Note not found."))
    if note.company_id is not None and not companies_visible_to(member).filter(pk=note.company_id).exists():
        raise NotFoundError(_("Note not found."))
    if action != Action.VIEW and not member.may(action, note):
        raise PermissionDeniedError()
    return note


def import_jobs_visible_to(member: Membership) -> ScopedQuerySet:
    """Imports the member started (own) or every import of the workspace (all). Starting one needs the
    create permission of what it imports, checked by the use case."""
    from peyvand.contacts.models import ImportJob

    scope = member.scope_for("import_job", Action.VIEW)
    if scope == "none":
        scope = "own"  # everyone sees the imports they started themselves
    return ImportJob.objects.in_workspace(member.workspace_id).within_scope(scope, member)


def access_import_job(*, member: Membership, job_id: int, action: str = Action.VIEW) -> Any:
    """An import the member may see (else NotFoundError). `change` (mapping, policy, start) is only for the
    member who uploaded it, since the import runs as them (else PermissionDeniedError); whoever sees an
    import (its uploader, or a role that sees every import) may cancel it and download its report."""
    job = import_jobs_visible_to(member).select_related("created_by__user").filter(pk=job_id).first()
    if job is None:
        raise NotFoundError(_("Import not found."))
    if action == Action.CHANGE and job.created_by_id != member.pk:
        raise PermissionDeniedError(_("Only the member who uploaded this file may change or start it."))
    return job
