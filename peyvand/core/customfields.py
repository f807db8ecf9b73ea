"""Custom fields: definitions per workspace and entity, and the values records keep in their `custom` JSON.

Values are stored in JSON-native, sortable forms: text as a string, number and money as a JSON number,
date as ``YYYY-MM-DD``, date-time as ISO 8601 in UTC, yes/no as a boolean, a choice as its option value,
multiple choice as a list of option values, a member as the membership id, URL/e-mail/phone normalized
(phones in E.164). :func:`clean_custom_values` is the one validator (forms, API and import all use it).
"""

from __future__ import annotations

import datetime
import decimal
import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from peyvand.core.contactpoints import normalize_email, normalize_phone
from peyvand.core.errors import ValidationFailedError
from peyvand.core.models import CustomField, CustomFieldType

MAX_TEXT = 1000
MAX_LONG_TEXT = 20000
MAX_NUMBER = decimal.Decimal("1e15")


def definitions(workspace_id: int, entity: str) -> list[CustomField]:
    """The live custom fields of `entity` in a workspace, in their display order."""
    return list(
        CustomField.objects.filter(workspace_id=workspace_id, entity=entity).order_by("position", "id")
    )


def option_values(definition: CustomField) -> list[str]:
    return [str(option.get("value")) for option in definition.choices if isinstance(option, dict)]


def option_label(definition: CustomField, value: Any) -> str:
    for option in definition.choices:
        if isinstance(option, dict) and option.get("value") == value:
            return str(option.get("label") or value)
    return str(value)


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValidationError(_("Enter a number."))
    if isinstance(value, str):
        from peyvand.core.text import to_ascii_digits

        value = to_ascii_digits(value).strip().replace(",", "").replace("٬", "").replace("٫", ".")
    try:
        number = decimal.Decimal(str(value))
    except (decimal.InvalidOperation, ValueError) as error:
        raise ValidationError(_("Enter a number.")) from error
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        raise ValidationError(_("Enter a number smaller than a quadrillion."))
    if number == number.to_integral_value():
        return int(number)
    result = float(number)
    if not math.isfinite(result):
        raise ValidationError(_("Enter a number."))
    return result


def _member_id(value: Any, workspace_id: int) -> int:
    from peyvand.accounts.models import Membership

    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(_("Choose a member."))
    try:
        member_id = int(value)
    except ValueError as error:
        raise ValidationError(_("Choose a member.")) from error
    if not Membership.objects.filter(workspace_id=workspace_id, pk=member_id).exists():
        raise ValidationError(_("Unknown member."))
    return member_id


def clean_value(definition: CustomField, value: Any, *, region: str = "") -> Any:
    """One value in its stored form; ValidationError with a readable message when it does not fit."""
    kind = definition.field_type
    if value is None or value == "" or value == []:
        return None
    if kind in (CustomFieldType.TEXT, CustomFieldType.LONG_TEXT):
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValidationError(_("Enter text."))
        text = str(value).strip()
        limit = MAX_TEXT if kind == CustomFieldType.TEXT else MAX_LONG_TEXT
        if len(text) > limit:
            raise ValidationError(_("Use at most %(limit)s characters.") % {"limit": limit})
        if "\x00" in text:
            raise ValidationError(_("Enter text."))
        return text or None
    if kind in (CustomFieldType.NUMBER, CustomFieldType.MONEY):
        return _number(value)
    if kind == CustomFieldType.DATE:
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date):
            return value.isoformat()
        parsed = None
        if isinstance(value, str):
            from peyvand.core.calendars import parse_date as parse_calendar_date

            try:
                parsed = parse_date(value.strip())
            except ValueError:
                parsed = None
            if parsed is None:
                try:
                    parsed = parse_calendar_date(value)
                except (ValueError, ValidationError):
                    parsed = None
        if parsed is None:
            raise ValidationError(_("Enter a date."))
        return parsed.isoformat()
    if kind == CustomFieldType.DATETIME:
        moment = value
        if isinstance(value, str):
            try:
                moment = parse_datetime(value.strip())
            except ValueError:
                moment = None
        if not isinstance(moment, datetime.datetime):
            raise ValidationError(_("Enter a date and time."))
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == CustomFieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().casefold()
        if text in {"1", "true", "yes", "y", "on", "بله", "آری", "ใช่", "จริง"}:
            return True
        if text in {"0", "false", "no", "n", "off", "خیر", "نه", "ไม่", "ไม่ใช่", "เท็จ"}:
            return False
        raise ValidationError(_("Enter yes or no."))
    if kind == CustomFieldType.CHOICE:
        return _choice(definition, value)
    if kind == CustomFieldType.MULTI_CHOICE:
        items = value if isinstance(value, list | tuple) else str(value).split(";")
        cleaned = []
        for item in items:
            if isinstance(item, str) and not item.strip():
                continue
            choice = _choice(definition, item)
            if choice not in cleaned:
                cleaned.append(choice)
        return cleaned or None
    if kind == CustomFieldType.URL:
        text = str(value).strip()
        if "://" not in text:
            text = f"https://{text}"
        URLValidator(schemes=["http", "https"], message=_("Enter a web address."))(text)
        if len(text) > MAX_TEXT:
            raise ValidationError(_("Use at most %(limit)s characters.") % {"limit": MAX_TEXT})
        return text
    if kind == CustomFieldType.EMAIL:
        return normalize_email(str(value))
    if kind == CustomFieldType.PHONE:
        return normalize_phone(str(value), region)
    if kind == CustomFieldType.MEMBER:
        return _member_id(value, definition.workspace_id)
    raise ValidationError(_("Unknown field type."))


def _choice(definition: CustomField, value: Any) -> str:
    """An option by its value or by its label (imports carry labels)."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValidationError(_("Choose one of the options."))
    text = str(value).strip()
    from peyvand.core.text import normalize

    for option in definition.choices:
        if not isinstance(option, dict):
            continue
        if text == option.get("value") or normalize(text) == normalize(str(option.get("label", ""))):
            return str(option["value"])
    raise ValidationError(_("“%(value)s” is not one of the options.") % {"value": text})


def clean_custom_values(
    defs: Iterable[CustomField],
    values: Mapping[str, Any] | None,
    *,
    current: Mapping[str, Any] | None = None,
    region: str = "",
    partial: bool = False,
    prefix: str = "custom.",
) -> dict[str, Any]:
    """Validate `values` (key → raw value) against the definitions and merge them into `current`.

    Unknown keys and wrong types are refused with a ValidationFailedError naming `custom.<key>`; required
    fields must end up with a value (unless `partial` and the key is not being set). Values of fields
    deleted since are kept untouched, so restoring a field brings its data back.
    """
    by_key = {d.key: d for d in defs}
    result = dict(current or {})
    errors: dict[str, list[str]] = {}
    for key, raw in (values or {}).items():
        definition = by_key.get(key)
        if definition is None:
            errors[f"{prefix}{key}"] = [_("Unknown custom field.")]
            continue
        try:
            cleaned = clean_value(definition, raw, region=region)
        except ValidationError as error:
            errors[f"{prefix}{key}"] = [str(m) for m in error.messages]
            continue
        if cleaned is None:
            result.pop(key, None)
        else:
            result[key] = cleaned
    for definition in by_key.values():
        touched = values is not None and definition.key in values
        if definition.required and result.get(definition.key) is None and (touched or not partial):
            errors.setdefault(f"{prefix}{definition.key}", [_("This field is required.")])
    if errors:
        raise ValidationFailedError(fields=errors)
    return result


def search_parts(defs: Iterable[CustomField], values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(key, text) of the searchable custom fields (option labels rather than values)."""
    parts: list[tuple[str, str]] = []
    for definition in defs:
        value = values.get(definition.key)
        if not definition.searchable or value is None:
            continue
        if definition.field_type == CustomFieldType.CHOICE:
            parts.append((definition.key, option_label(definition, value)))
        elif definition.field_type == CustomFieldType.MULTI_CHOICE:
            parts.extend((definition.key, option_label(definition, v)) for v in value)
        elif definition.field_type in (CustomFieldType.BOOLEAN, CustomFieldType.MEMBER):
            continue
        else:
            parts.append((definition.key, str(value)))
    return parts


def custom_filter(
    definition: CustomField, op: str, raw: Any, *, region: str = ""
) -> tuple[dict[str, Any], Q]:
    """A filter on one custom field: `eq`, `contains` (text), `gte`/`lte` (numbers, dates), `empty`,
    `has` (one option of a multiple choice). Returns the aliases to add and the condition; the raw value
    is cleaned like an input value (ValidationError when it does not fit)."""
    path = f"custom__{definition.key}"
    text_alias = f"cf_{definition.key}_text"
    aliases = {text_alias: KT(path)}
    if op == "empty":
        truthy = str(raw).strip().casefold() not in {"0", "false", "no", ""}
        condition = Q(**{f"{text_alias}__isnull": True})
        return aliases, condition if truthy else ~condition
    if definition.field_type == CustomFieldType.MULTI_CHOICE:
        choice = _choice(definition, raw)
        # The JSON text of a list holds each value quoted, on SQLite and on PostgreSQL alike.
        return aliases, Q(**{f"{text_alias}__contains": f'"{choice}"'})
    value = clean_value(definition, raw, region=region)
    if value is None:
        raise ValidationError(_("Enter a value to filter by."))
    if op == "contains" and isinstance(value, str):
        return aliases, Q(**{f"{text_alias}__icontains": value})
    if op in ("gte", "lte") and definition.field_type in (
        CustomFieldType.NUMBER,
        CustomFieldType.MONEY,
        CustomFieldType.DATE,
        CustomFieldType.DATETIME,
    ):
        return {}, Q(**{f"{path}__{op}": value})
    if op != "eq":
        raise ValidationError(_("This filter does not apply to this field."))
    return {}, Q(**{path: value})


# ----------------------------------------------------------------------------- definitions (use cases)

ENTITIES_WITH_CUSTOM_FIELDS = ("contact", "company")
MAX_FIELDS_PER_ENTITY = 100
MAX_OPTIONS = 200


def _clean_options(raw: Any, kind: str) -> list[dict[str, str]]:
    """Options of a choice field: [{value, label}], from such a list or from plain labels."""
    if kind not in (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE):
        return []
    from django.utils.text import slugify

    from peyvand.core.text import normalize

    if not isinstance(raw, list) or not raw:
        raise ValidationFailedError(fields={"choices": [_("List the options.")]})
    if len(raw) > MAX_OPTIONS:
        raise ValidationFailedError(fields={"choices": [_("At most %(n)s options.") % {"n": MAX_OPTIONS}]})
    options: list[dict[str, str]] = []
    for position, item in enumerate(raw, start=1):
        label = str(item.get("label", "") if isinstance(item, dict) else item).strip()
        value = str(item.get("value", "") if isinstance(item, dict) else "").strip()
        if not label:
            raise ValidationFailedError(fields={"choices": [_("Every option needs a label.")]})
        value = value or slugify(normalize(label)) or f"option-{position}"
        if len(label) > 100 or len(value) > 60 or '"' in value:
            raise ValidationFailedError(
                fields={"choices": [_("“%(label)s” is too long.") % {"label": label}]}
            )
        if any(o["value"] == value or normalize(o["label"]) == normalize(label) for o in options):
            raise ValidationFailedError(
                fields={"choices": [_("“%(label)s” is listed twice.") % {"label": label}]}
            )
        options.append({"value": value, "label": label})
    return options


def custom_field_create(*, actor: Any, data: dict[str, Any]) -> CustomField:
    """Define a new field for contacts or companies. The key (used in the API, filters, imports) is fixed
    once created; choice fields need options. Audited; emits custom_field.created."""
    from peyvand.core.writes import record_create

    with transaction.atomic():
        entity = str(data.get("entity", ""))
        if entity not in ENTITIES_WITH_CUSTOM_FIELDS:
            raise ValidationFailedError(
                fields={"entity": [_("Custom fields exist for contacts and companies.")]}
            )
        existing = CustomField.all_objects.filter(workspace_id=actor.workspace_id, entity=entity)
        if existing.count() >= MAX_FIELDS_PER_ENTITY:
            raise ValidationFailedError(
                fields={"entity": [_("At most %(n)s fields.") % {"n": MAX_FIELDS_PER_ENTITY}]}
            )
        kind = str(data.get("field_type", ""))
        label = " ".join(str(data.get("label", "")).split())
        key = str(data.get("key") or "").strip() or _key_from_label(label, existing)
        last = existing.order_by("-position").first()
        field = CustomField(
            workspace_id=actor.workspace_id,
            entity=entity,
            key=key,
            label=label,
            field_type=kind,
            required=bool(data.get("required", False)),
            choices=_clean_options(data.get("choices"), kind),
            help_text=str(data.get("help_text", "")).strip(),
            searchable=bool(data.get("searchable", False)),
            position=int(data["position"])
            if data.get("position") is not None
            else (last.position + 1 if last else 0),
        )
        return record_create(actor=actor, record=field)


def _key_from_label(label: str, existing: Any) -> str:
    import re

    from django.utils.text import slugify

    from peyvand.core.text import normalize

    base = re.sub(r"_+", "_", slugify(normalize(label)).replace("-", "_")).strip("_")
    if not base or not base[0].isalpha():
        base = f"field_{base}".strip("_")
    base = base[:36]
    key, n = base, 1
    while existing.filter(key=key).exists():
        n += 1
        key = f"{base}_{n}"
    return key


def custom_field_update(
    *,
    actor: Any,
    field: CustomField,
    changes: dict[str, Any],
    expected_version: int | None = None,
    precondition: bool = False,
) -> CustomField:
    """Change a field's label, help, required flag, options, searchability or position. The key, the
    record type and the type stay (values would no longer fit). Removing an option keeps stored values
    (they show as typed). Audited; emits custom_field.updated."""
    from peyvand.core.writes import record_update

    with transaction.atomic():
        cleaned = dict(changes)
        fixed = {"key", "entity", "field_type"} & set(cleaned)
        if fixed:
            raise ValidationFailedError(
                fields={name: [_("This cannot change once the field exists.")] for name in sorted(fixed)}
            )
        if "label" in cleaned:
            cleaned["label"] = " ".join(str(cleaned["label"] or "").split())
        if "choices" in cleaned:
            cleaned["choices"] = _clean_options(cleaned["choices"], field.field_type)
        if "help_text" in cleaned:
            cleaned["help_text"] = str(cleaned["help_text"] or "").strip()
        record_update(
            actor=actor,
            record=field,
            changes=cleaned,
            allowed=("label", "required", "choices", "help_text", "searchable", "position"),
            expected_version=expected_version,
            precondition=precondition,
        )
        return field
