"""The permission rules: one module that every view, endpoint, export and task asks (ARCHITECTURE §4).

A role grants, per entity and action, a scope (none / own / team / all), plus per-field rules
(hidden / read-only). Anything not granted is denied. Domain apps register their entities here, so the
roles editor, the checks and the field redaction all read the same list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import Scope

if TYPE_CHECKING:
    from peyvand.accounts.models import Membership


class Action(models.TextChoices):
    VIEW = "view", _("View")
    CREATE = "create", _("Create")
    CHANGE = "change", _("Change")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    ASSIGN = "assign", _("Assign")


class FieldRule(models.TextChoices):
    VISIBLE = "", _("Visible")
    READ_ONLY = "read_only", _("Read-only")
    HIDDEN = "hidden", _("Hidden")


@dataclass(frozen=True)
class EntitySpec:
    """An entity the roles editor shows: its actions, the scopes that mean something, its fields."""

    name: str
    label: str | Promise
    actions: tuple[str, ...]
    scopes: tuple[str, ...] = (Scope.NONE, Scope.OWN, Scope.TEAM, Scope.ALL)
    fields: tuple[tuple[str, str | Promise], ...] = ()
    kind: str = "business"  # "business" (customer data) or "settings" (workspace administration)
    defaults: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # role key → action → scope
    # Fields a workspace defines itself (custom fields): workspace id → (name, label) pairs.
    extra_fields: Callable[[int], Iterable[tuple[str, Any]]] | None = None
    # A rule on one field also covers these stored fields (e-mail consent → when and how it was given).
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # What the actions mean here, when it is not what their names say (shown under the label).
    note: str | Promise = ""

    def fields_for(self, workspace_id: int | None) -> list[tuple[str, Any]]:
        """The fixed fields plus, for a workspace, its own custom fields (named `custom.<key>`)."""
        result = list(self.fields)
        if self.extra_fields is not None and workspace_id is not None:
            result.extend(self.extra_fields(workspace_id))
        return result


_registry: dict[str, EntitySpec] = {}


def register_entity(spec: EntitySpec) -> None:
    _registry[spec.name] = spec


def entities() -> list[EntitySpec]:
    return list(_registry.values())


def entity(name: str) -> EntitySpec:
    return _registry[name]


ALL_ACTIONS = tuple(Action.values)
BUILTIN_ROLE_KEYS = ("owner", "admin", "sales_manager", "sales_rep", "support_agent", "read_only")
BUILTIN_ROLE_NAMES: dict[str, Any] = {
    "owner": _("Owner"),
    "admin": _("Admin"),
    "sales_manager": _("Sales manager"),
    "sales_rep": _("Sales rep"),
    "support_agent": _("Support agent"),
    "read_only": _("Read-only"),
}

# Starting grants of the built-in roles for customer-data entities; settings entities state their own.
_BUSINESS_DEFAULTS: dict[str, dict[str, str]] = {
    "owner": dict.fromkeys(ALL_ACTIONS, Scope.ALL),
    "admin": dict.fromkeys(ALL_ACTIONS, Scope.ALL),
    "sales_manager": {
        "view": "all",
        "create": "all",
        "change": "team",
        "delete": "team",
        "export": "team",
        "assign": "team",
    },
    "sales_rep": {
        "view": "all",
        "create": "all",
        "change": "own",
        "delete": "own",
        "export": "none",
        "assign": "none",
    },
    "support_agent": {
        "view": "all",
        "create": "all",
        "change": "own",
        "delete": "none",
        "export": "none",
        "assign": "none",
    },
    "read_only": {
        "view": "all",
        "create": "none",
        "change": "none",
        "delete": "none",
        "export": "none",
        "assign": "none",
    },
}


def default_permissions(role_key: str) -> dict[str, dict[str, str]]:
    """The grants a built-in role starts with, for every registered entity."""
    result: dict[str, dict[str, str]] = {}
    for spec in _registry.values():
        if role_key in ("owner", "admin"):
            grants = {action: Scope.ALL.value for action in spec.actions}
        elif role_key in spec.defaults:
            grants = dict(spec.defaults[role_key])
        elif spec.kind == "business":
            grants = {a: s for a, s in _BUSINESS_DEFAULTS.get(role_key, {}).items() if a in spec.actions}
        else:
            grants = {}
        result[spec.name] = {a: str(s) for a, s in grants.items() if a in spec.actions and s != Scope.NONE}
    return result


def clean_permissions(data: Any) -> dict[str, dict[str, str]]:
    """Validate a permissions mapping from the editor or the API; unknown entities/actions/scopes refused."""
    from peyvand.core.errors import ValidationFailedError

    if not isinstance(data, dict):
        raise ValidationFailedError(fields={"permissions": [str(_("Expected an object."))]})
    errors: list[str] = []
    cleaned: dict[str, dict[str, str]] = {}
    for name, grants in data.items():
        spec = _registry.get(name)
        if spec is None or not isinstance(grants, dict):
            errors.append(str(_("Unknown entity: %(name)s") % {"name": name}))
            continue
        cleaned[name] = {}
        for action, scope in grants.items():
            if action not in spec.actions:
                errors.append(
                    str(_("Unknown action %(action)s for %(name)s") % {"action": action, "name": name})
                )
            elif scope not in spec.scopes:
                errors.append(
                    str(_("Scope %(scope)s is not allowed for %(name)s") % {"scope": scope, "name": name})
                )
            else:
                cleaned[name][action] = scope
    if errors:
        raise ValidationFailedError(fields={"permissions": errors})
    return cleaned


def clean_field_rules(data: Any, workspace_id: int | None = None) -> dict[str, dict[str, str]]:
    from peyvand.core.errors import ValidationFailedError

    if not isinstance(data, dict):
        raise ValidationFailedError(fields={"field_rules": [str(_("Expected an object."))]})
    errors: list[str] = []
    cleaned: dict[str, dict[str, str]] = {}
    for name, rules in data.items():
        spec = _registry.get(name)
        if spec is None or not isinstance(rules, dict):
            errors.append(str(_("Unknown entity: %(name)s") % {"name": name}))
            continue
        known = {f for f, _label in spec.fields_for(workspace_id)}
        for field_name, rule in rules.items():
            if field_name not in known:
                errors.append(
                    str(_("Unknown field %(field)s for %(name)s") % {"field": field_name, "name": name})
                )
            elif rule not in FieldRule.values:
                errors.append(str(_("Unknown rule %(rule)s") % {"rule": rule}))
            elif rule:
                cleaned.setdefault(name, {})[field_name] = rule
    if errors:
        raise ValidationFailedError(fields={"field_rules": errors})
    return cleaned


def _owner_id(record: Any) -> int | None:
    owner_field = getattr(record, "OWNER_FIELD", None)
    if owner_field is None:
        return None
    if owner_field == "pk":
        return int(record.pk)
    value = getattr(record, f"{owner_field}_id", None)
    return int(value) if value is not None else None


def member_may(member: Membership, action: str, record: Any = None, *, entity: str | None = None) -> bool:
    """Deny by default. With a record, the scope must reach it (own: owned by the member; team: owned by a
    teammate or the member; all); without one, any scope but none allows the action in principle."""
    name = entity or str(getattr(record, "ENTITY", ""))
    scope = member.scope_for(name, action)
    if scope == Scope.NONE:
        return False
    if record is None or scope == Scope.ALL:
        return record is None or getattr(record, "workspace_id", None) == member.workspace_id
    if record.workspace_id != member.workspace_id:
        return False
    if name == "team":  # a team is "own" for the members in it
        return int(record.pk) in member.team_ids()
    owner = _owner_id(record)
    if owner is None:
        return False
    if owner == member.pk:
        return True
    if scope == Scope.TEAM:
        from peyvand.accounts.models import Membership as MembershipModel

        return MembershipModel.objects.filter(
            pk=owner, workspace_id=member.workspace_id, teams__in=member.team_ids()
        ).exists()
    return False


def field_rule(member: Membership, entity: str, field_name: str) -> str:
    if member.role.is_locked:
        return FieldRule.VISIBLE
    return str(member.role.field_rules.get(entity, {}).get(field_name, FieldRule.VISIBLE))


def hidden_fields(member: Membership, entity: str) -> set[str]:
    """Fields hidden from `member`: the rule names and the stored fields they cover (see EntitySpec.aliases),
    so every output path — API, HTML, audit, exports — drops both."""
    if member.role.is_locked:
        return set()
    hidden = {f for f, rule in member.role.field_rules.get(entity, {}).items() if rule == FieldRule.HIDDEN}
    spec = _registry.get(entity)
    if spec is not None and spec.aliases:
        for name in list(hidden):
            hidden.update(spec.aliases.get(name, ()))
    return hidden


def read_only_fields(member: Membership, entity: str) -> set[str]:
    """Fields `member` may not change: read-only and hidden alike."""
    if member.role.is_locked:
        return set()
    return {f for f, rule in member.role.field_rules.get(entity, {}).items() if rule}


def redact(member: Membership, entity: str, data: dict[str, Any]) -> dict[str, Any]:
    """Remove hidden fields from `data`: the one helper used by API output, HTML, exports and previews."""
    hidden = hidden_fields(member, entity)
    return {k: v for k, v in data.items() if k not in hidden} if hidden else data


def _list_separator() -> str:
    """The comma of the active language (Persian uses «،»)."""
    return "، " if translation.get_language() == "fa" else ", "


def check_writable(member: Membership, entity: str, changed: Iterable[str]) -> None:
    """Refuse a change that touches a read-only or hidden field (403, naming the fields)."""
    from peyvand.core.errors import PermissionDeniedError

    blocked = sorted(set(changed) & read_only_fields(member, entity))
    if blocked:
        labels = dict(_registry[entity].fields_for(member.workspace_id)) if entity in _registry else {}
        names = [str(labels.get(name, name)) for name in blocked]
        raise PermissionDeniedError(
            _("You may not change these fields: %(fields)s") % {"fields": _list_separator().join(names)},
            fields={name: [str(_("This field is read-only for your role."))] for name in blocked},
        )


# The entities of this app. Settings entities grant nothing by default except where stated.
_everyone_views = {"view": "all"}
register_entity(
    EntitySpec(
        name="workspace",
        label=_("Workspace settings"),
        actions=("view", "change"),
        scopes=("none", "all"),
        kind="settings",
        fields=(
            ("name", _("Name")),
            ("default_currency", _("Default currency")),
            ("language", _("Language")),
            ("calendar", _("Calendar")),
            ("time_zone", _("Time zone")),
            ("week_start", _("Week starts on")),
            ("country", _("Country")),
        ),
        defaults={k: _everyone_views for k in ("sales_manager", "sales_rep", "support_agent", "read_only")},
    )
)
register_entity(
    EntitySpec(
        name="member",
        label=_("Members and invites"),
        actions=("view", "create", "change", "delete", "export", "assign"),
        kind="settings",
        fields=(("email", _("E-mail")), ("role", _("Role")), ("teams", _("Teams"))),
        defaults={
            "sales_manager": {"view": "all", "assign": "team"},
            "sales_rep": _everyone_views,
            "support_agent": _everyone_views,
            "read_only": _everyone_views,
        },
    )
)
register_entity(
    EntitySpec(
        name="team",
        label=_("Teams"),
        actions=("view", "create", "change", "delete"),
        kind="settings",
        fields=(("name", _("Name")), ("description", _("Description"))),
        defaults={
            "sales_manager": {"view": "all", "change": "team"},
            "sales_rep": _everyone_views,
            "support_agent": _everyone_views,
            "read_only": _everyone_views,
        },
    )
)
register_entity(
    EntitySpec(
        name="role",
        label=_("Roles"),
        actions=("view", "create", "change", "delete"),
        scopes=("none", "all"),
        kind="settings",
        defaults={"sales_manager": _everyone_views},
    )
)
_own_tokens = {"view": "own", "create": "own", "delete": "own"}
register_entity(
    EntitySpec(
        name="token",
        label=_("API tokens"),
        actions=("view", "create", "delete"),
        scopes=("none", "own", "all"),
        kind="settings",
        fields=(("last_used_at", _("Last used")),),
        defaults={k: _own_tokens for k in ("sales_manager", "sales_rep", "support_agent", "read_only")},
    )
)
register_entity(
    EntitySpec(
        name="audit",
        label=_("Audit log"),
        actions=("view", "export"),
        scopes=("none", "own", "team", "all"),
        kind="settings",
        defaults={"sales_manager": {"view": "team"}},
    )
)
register_entity(
    EntitySpec(
        name="tag",
        label=_("Tags"),
        actions=("view", "create", "change", "delete"),
        scopes=("none", "all"),
        kind="settings",
        defaults={
            "sales_manager": {"view": "all", "create": "all", "change": "all", "delete": "all"},
            "sales_rep": {"view": "all", "create": "all"},
            "support_agent": {"view": "all", "create": "all"},
            "read_only": _everyone_views,
        },
    )
)
register_entity(
    EntitySpec(
        name="custom_field",
        label=_("Custom fields and lists"),
        actions=("view", "create", "change", "delete"),
        scopes=("none", "all"),
        kind="settings",
        defaults={k: _everyone_views for k in ("sales_manager", "sales_rep", "support_agent", "read_only")},
    )
)
register_entity(
    EntitySpec(
        name="saved_view",
        label=_("Shared saved views"),
        note=_(
            "Change: share one's own views (Own) or also change and unshare anyone's shared views (All). "
            "Everyone keeps private views."
        ),
        actions=("change", "delete"),
        scopes=("none", "own", "all"),
        kind="settings",
        defaults={"sales_manager": {"change": "all", "delete": "all"}},
    )
)
