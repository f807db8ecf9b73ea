"""HTML forms of the contacts screens. They parse what a browser sends into what the services take; the
services are the one validator (their per-field refusals are shown next to the matching inputs).

Field names follow the services' error keys, so a `ValidationFailedError(fields={"phones": …,
"custom.budget": …})` lands on the right input: `emails`, `phones`, `addresses`, `tags`, `custom.<key>`.
Hidden fields (field rules) are left out of a form; read-only ones are disabled and never sent on.
"""

from __future__ import annotations

from peyvand.contacts.forms.actions import BULK_ACTIONS, BulkForm, InlineForm, NoteForm
from peyvand.contacts.forms.common import (
    RecordForm,
    RowsField,
    custom_form_field,
    custom_initial,
    member_choices,
    split_tags,
)
from peyvand.contacts.forms.filters import ContactFilterForm, ListFilterForm
from peyvand.contacts.forms.records import CompanyForm, ContactForm, QuickContactForm
from peyvand.contacts.forms.settings import CustomFieldForm, LifecycleStageForm, TagForm, TagMergeForm

__all__ = [
    "BULK_ACTIONS",
    "BulkForm",
    "CompanyForm",
    "ContactFilterForm",
    "ContactForm",
    "CustomFieldForm",
    "InlineForm",
    "LifecycleStageForm",
    "ListFilterForm",
    "NoteForm",
    "QuickContactForm",
    "RecordForm",
    "RowsField",
    "TagForm",
    "TagMergeForm",
    "custom_form_field",
    "custom_initial",
    "member_choices",
    "split_tags",
]
