"""Forms of the import wizard: the upload (step 1) and the column mapping with the duplicate policy (step 2).

They only parse; the import services validate (an unreadable file, an unknown or doubled target) and their
refusals land on these fields: `file`, `mapping` (shown above the mapping table), `policy`, `save_as`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from peyvand.contacts.models import ImportJob

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCEPT = ",".join((".csv", ".txt", ".tsv", ".xlsx", ".vcf", "text/csv", "text/vcard", XLSX_TYPE))

POLICY_HELP = {
    ImportJob.Policy.SKIP: _(
        "Leave the existing record as it is and skip the row. The safest choice when the file may hold "
        "people or companies you already have."
    ),
    ImportJob.Policy.UPDATE: _(
        "Fill the existing record with the row's values; e-mails, phones and tags are added to the ones it "
        "has, empty cells change nothing."
    ),
    ImportJob.Policy.CREATE: _(
        "Create a new record for every row, even when one like it exists. You may get duplicates to merge."
    ),
}


def max_upload_mb() -> int:
    return max(1, settings.PEYVAND_MAX_UPLOAD_BYTES // (1024 * 1024))


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("File"), allow_empty_file=True)

    def __init__(self, *args: Any, entity: str = "contact", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["file"]
        if entity == "contact":
            field.help_text = _(
                "CSV (any common encoding and separator), Excel (.xlsx) or vCard (.vcf) file, up to "
                "%(mb)s MB. Exports of HubSpot, Salesforce and Pipedrive are recognised."
            ) % {"mb": max_upload_mb()}
        else:
            field.help_text = _(
                "CSV (any common encoding and separator) or Excel (.xlsx) file, up to %(mb)s MB. Exports of "
                "HubSpot, Salesforce and Pipedrive are recognised."
            ) % {"mb": max_upload_mb()}
        field.widget.attrs["accept"] = ACCEPT
        field.widget.attrs["data-max-bytes"] = str(settings.PEYVAND_MAX_UPLOAD_BYTES)
        field.widget.attrs["data-too-large"] = str(
            _("This file is larger than %(mb)s MB and cannot be imported.") % {"mb": max_upload_mb()}
        )


class ImportMappingForm(forms.Form):
    """One select per column of the file (`column_<n>`), the duplicate policy and an optional name to save
    the mapping under. `targets` are (key, label, is_custom) in the order to offer them."""

    policy = forms.ChoiceField(
        label=_("When a row matches an existing record"),
        choices=ImportJob.Policy.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    save_as = forms.CharField(
        label=_("Save this mapping as"),
        max_length=100,
        required=False,
        help_text=_("Optional. Files with the same columns get this mapping next time."),
    )

    def __init__(
        self,
        *args: Any,
        job: ImportJob,
        targets: list[tuple[str, str, bool]],
        mapping: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        fields = [(key, label) for key, label, custom in targets if not custom]
        custom = [(key, label) for key, label, custom in targets if custom]
        choices: list[Any] = [("", _("— Do not import —")), (_("Fields"), fields)]
        if custom:
            choices.append((_("Custom fields"), custom))
        current = mapping if mapping is not None else job.mapping
        for index, header in enumerate(job.headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header or _("Column %(n)s") % {"n": index + 1}, choices=choices, required=False
            )
            self.initial[name] = current[index] if index < len(current) else ""
        self.initial.setdefault("policy", job.policy)
        if job.format == "vcf":
            del self.fields["save_as"]  # a vCard has no columns to map

    def columns(self) -> list[forms.BoundField]:
        return [self[f"column_{index}"] for index in range(len(self.job.headers))]

    def policy_choices(self) -> list[tuple[Any, Any]]:
        """(radio button, explanation) per policy."""
        return [(radio, POLICY_HELP.get(radio.data["value"], "")) for radio in self["policy"]]

    def column_map(self) -> list[str] | None:
        if self.job.format == "vcf":
            return None
        return [self.cleaned_data.get(f"column_{index}") or "" for index in range(len(self.job.headers))]

    def error_target(self, name: str) -> str | None:
        return name if name in ("policy", "save_as") and name in self.fields else None
