"""HTML forms of accounts screens: they parse and validate input; services do the rest."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import Language, Membership, Role, Team, User, Workspace
from peyvand.accounts.policy import Action, FieldRule, entities
from peyvand.core.calendars import CalendarSystem
from peyvand.core.forms_fields import CalendarDateField
from peyvand.core.models import Scope


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "email" in data and "password" in data:
            user = authenticate(self.request, username=data["email"], password=data["password"])
            if user is None:
                raise forms.ValidationError(_("E-mail or password is not correct."), code="invalid_login")
            self.user = user  # type: ignore[assignment]
        return data


class WorkspaceForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=())
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Workspace
        fields = ["name", "default_currency", "language", "calendar", "time_zone", "week_start", "country"]

    def __init__(
        self, *args: Any, read_only: set[str] | None = None, hidden: set[str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(z, z) for z in sorted(zoneinfo.available_timezones())]
        self.fields["calendar"].choices = CalendarSystem.choices
        self.fields["default_currency"].widget.attrs.update({"maxlength": 3, "dir": "ltr"})
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version
        for name in hidden or set():
            self.fields.pop(name, None)
        for name in read_only or set():
            if name in self.fields:
                self.fields[name].disabled = True

    def clean_country(self) -> str:
        return str(self.cleaned_data["country"]).upper()

    def clean_default_currency(self) -> str:
        return str(self.cleaned_data["default_currency"]).upper()


class WorkspaceCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    calendar = forms.ChoiceField(label=_("Calendar"), choices=CalendarSystem.choices)
    default_currency = forms.CharField(label=_("Default currency"), max_length=3, initial="USD")


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.none())
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, member: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        roles = Role.objects.in_workspace(member.workspace_id).order_by("pk")
        if member.role.key != "owner":
            roles = roles.exclude(key="owner")
        self.fields["role"].queryset = roles
        self.fields["role"].initial = roles.filter(key="sales_rep").first()
        self.fields["teams"].queryset = Team.objects.in_workspace(member.workspace_id).order_by("name")


class MemberForm(forms.Form):
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.none())
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, member: Membership, target: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = Role.objects.in_workspace(member.workspace_id).order_by("pk")
        self.fields["teams"].queryset = Team.objects.in_workspace(member.workspace_id).order_by("name")
        if not self.is_bound:
            self.initial = {
                "role": target.role_id,
                "teams": list(target.teams.values_list("pk", flat=True)),
                "expected_version": target.version,
            }
        if not member.may(Action.ASSIGN, target):
            self.fields["role"].disabled = True
        if not member.may(Action.CHANGE, target):
            self.fields["teams"].disabled = True


class TeamForm(forms.ModelForm):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Team
        fields = ["name", "description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version


class RoleForm(forms.Form):
    """Name and description, plus one select per entity × action and per entity × field."""

    name = forms.CharField(label=_("Name"), max_length=80)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, role: Role | None = None, workspace_id: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.role = role
        workspace_id = role.workspace_id if role is not None else workspace_id
        permissions = role.permissions if role else {}
        rules = role.field_rules if role else {}
        self.matrix: list[dict[str, Any]] = []
        for spec in entities():
            row: dict[str, Any] = {"spec": spec, "cells": [], "fields": []}
            for action in Action:
                if action.value not in spec.actions:
                    row["cells"].append(None)
                    continue
                name = f"perm__{spec.name}__{action.value}"
                self.fields[name] = forms.ChoiceField(
                    label=f"{spec.label} · {action.label}",
                    choices=[(s, Scope(s).label) for s in spec.scopes],
                    initial=permissions.get(spec.name, {}).get(action.value, "none"),
                )
                row["cells"].append(name)
            for field_name, field_label in spec.fields_for(workspace_id):
                name = f"field__{spec.name}__{field_name}"
                self.fields[name] = forms.ChoiceField(
                    label=f"{spec.label} · {field_label}",
                    choices=FieldRule.choices,
                    required=False,
                    initial=rules.get(spec.name, {}).get(field_name, ""),
                )
                row["fields"].append(name)
            self.matrix.append(row)
        if role is not None and not self.is_bound:
            self.initial.update(
                {"name": role.name, "description": role.description, "expected_version": role.version}
            )

    def permissions(self) -> dict[str, dict[str, str]]:
        result: dict[str, dict[str, str]] = {}
        for key, value in self.cleaned_data.items():
            if key.startswith("perm__"):
                _prefix, entity, action = key.split("__", 2)
                result.setdefault(entity, {})[action] = value
        return result

    def field_rules(self) -> dict[str, dict[str, str]]:
        result: dict[str, dict[str, str]] = {}
        for key, value in self.cleaned_data.items():
            if key.startswith("field__") and value:
                _prefix, entity, field_name = key.split("__", 2)
                result.setdefault(entity, {})[field_name] = value
        return result


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("What the token is for, e.g. “website form” or “reporting script”."),
    )
    expires_on = CalendarDateField(
        label=_("Expires on"), required=False, help_text=_("Leave empty for a token that does not expire.")
    )


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(label=_("Member"), queryset=Membership.objects.none(), required=False)
    entity = forms.ChoiceField(label=_("Entity"), required=False, choices=())
    since = CalendarDateField(label=_("From"), required=False)
    until = CalendarDateField(label=_("To"), required=False)

    def __init__(self, *args: Any, member: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from peyvand.accounts.access import members_visible_to

        self.fields["actor"].queryset = members_visible_to(member).order_by("user__full_name", "user__email")
        self.fields["entity"].choices = (
            [("", _("All"))] + [(s.name, s.label) for s in entities()] + [("invite", _("Invitations"))]
        )


class AcceptInviteForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150)
    password = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        validate_password(password, User(email=self.email, full_name=self.data.get("full_name", "")))
        return str(password)
