"""The saved view forms: save the list's current query under a name, and rename or (un)share a view. The
rules (unique names, who may share) are the service's; its refusals are shown next to these inputs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class SavedViewForm(forms.Form):
    """Name and sharing of a view; `query` (the list's query string) only when saving a new one."""

    name = forms.CharField(label=_("View name"), max_length=100)
    shared = forms.BooleanField(
        label=_("Share with the workspace"),
        required=False,
        help_text=_(
            "Everyone in the workspace can open it; each of them sees only the records they may see."
        ),
    )
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=8000)
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, allow_share: bool, with_query: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not allow_share:
            del self.fields["shared"]
        if with_query:
            del self.fields["expected_version"]
        else:
            del self.fields["query"]
        self.fields["name"].widget.attrs["autocomplete"] = "off"
