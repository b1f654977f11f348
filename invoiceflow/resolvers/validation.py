"""Input validation shared by both APIs: pydantic models in, field-keyed errors out."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from invoiceflow.core.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)
# Ids and counts are INTEGER columns (and GraphQL's Int is 32-bit): larger values never name
# a row, and PostgreSQL refuses them as parameters.
MAX_INT = 2**31 - 1
# The OpenAPI document's patterns run under ECMA-262 rules, whose \s is not Python's: these
# spell their characters out, so that both sides accept exactly the same strings.
_SPACE = "\t\n\x0b\x0c\r "  # stripped around a currency or an email address
_PART = r"[^@\x00-\x20\x7f-\x9f]+"
CURRENCY = r"^[\t-\r ]*[A-Za-z]{3}[\t-\r ]*$"
MAX_EMAIL = 255
EMAIL = rf"^[\t-\r ]*{_PART}@{_PART}\.{_PART}[\t-\r ]*$"
# PostgreSQL's text holds no NUL character: no input string may carry one.
NO_NUL = r"^[^\x00]*$"
# No NUL, and a character that str.strip() keeps: the document's word for "not blank".
_SPACES = r"\t-\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = rf"^[^\x00]*[^\x00{_SPACES}][^\x00]*$"


class InputJsonSchema(GenerateJsonSchema):
    """The OpenAPI document's request bodies: a string without its own pattern has NO_NUL."""

    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        documented = super().str_schema(schema)
        documented.setdefault("pattern", NO_NUL)
        return documented


class Input(BaseModel):
    """Base of every input: unknown fields are ignored, strings are stripped.

    Length limits count what was sent (as the OpenAPI document states them), so strings are
    stripped after them; a string that may not be empty may not be blank either, and no
    string may hold a NUL character.
    """

    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _strip(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise PydanticCustomError("string_nul", "Must not contain the NUL character.")
        if not isinstance(value, str) or value == value.strip():
            return value
        stripped = value.strip()
        field = cls.model_fields.get(info.field_name or "")
        if not stripped and field is not None and _min_length(field.metadata) > 0:
            raise PydanticCustomError("string_blank", "Must not be blank.")
        return stripped


def _min_length(metadata: list[Any]) -> int:
    return max((getattr(item, "min_length", 0) or 0 for item in metadata), default=0)


# Every date the API takes (API.md §6); one a rule would push past the last is refused too.
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(9999, 12, 31)
DATE_RANGE = f"Must be between {FIRST_DATE.isoformat()} and {LAST_DATE.isoformat()}."


def _as_date(value: Any) -> Any:
    found: date | None = value if isinstance(value, date) else None
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        with contextlib.suppress(ValueError):
            found = date.fromisoformat(value)
    if found is None:
        raise PydanticCustomError("date_format", "Must be a date in the form YYYY-MM-DD.")
    if not FIRST_DATE <= found <= LAST_DATE:
        raise PydanticCustomError("date_range", DATE_RANGE)
    return found


def days_after(start: date, days: int, field: str) -> date:
    """``start`` plus ``days``, or a 422 on ``field`` (the date that was sent) when that
    would be past the last date the API keeps."""
    if (LAST_DATE - start).days < days:
        raise ValidationFailed.on(
            field, f"Must leave room for {days} days of payment terms before {LAST_DATE}."
        )
    return start + timedelta(days=days)


def _as_decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_type", "Must be a number.")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise PydanticCustomError("decimal_type", "Must be a number.") from None
    else:
        raise PydanticCustomError("decimal_type", "Must be a number.")
    if not result.is_finite():
        raise PydanticCustomError("decimal_type", "Must be a finite number.")
    return result


def _places(limit: int) -> Any:
    def check(value: Decimal) -> Decimal:
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > limit:
            raise PydanticCustomError(
                "decimal_places", "Must have at most {limit} decimal places.", {"limit": limit}
            )
        return value

    return check


def _currency(value: Any) -> Any:
    if isinstance(value, str) and re.match(CURRENCY, value):
        return value.strip(_SPACE).upper()
    raise PydanticCustomError("currency", "Must be a three-letter ISO 4217 currency code.")


def _email(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str) and len(value) <= MAX_EMAIL and re.match(EMAIL, value):
        return value.strip(_SPACE)
    raise PydanticCustomError("email", "Must be a valid email address.")


def id_from_text(raw: str) -> int | None:
    """The id a path segment or a GraphQL ID names, or None when it can name none."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) <= MAX_INT:
        return int(raw)
    return None


def int_from_text(raw: str, field: str, *, at_most: int | None = None) -> int:
    """An integer query parameter, as the ``Int`` of an input would take it: plain digits
    (and "10.0", which JSON Schema counts as an integer), within the database's INTEGER.
    ``at_most``: a larger integer, of any size, is read as that (a page size clamps)."""
    if at_most is not None and re.fullmatch(r"[0-9]+(?:\.0+)?", raw) and len(raw) > 18:
        return at_most  # too large for an int64 as well: clamped like any other
    found = re.fullmatch(r"(-?[0-9]{1,19})(?:\.0+)?", raw)
    if found is None:
        raise ValidationFailed.on(field, "Must be an integer.")
    value = int(found.group(1))
    if at_most is not None and value > at_most:
        return at_most
    if not -MAX_INT <= value <= MAX_INT:
        raise ValidationFailed.on(field, f"Must be between {-MAX_INT} and {MAX_INT}.")
    return value


def not_null(**extra: Any) -> Callable[[dict[str, Any]], None]:
    """``json_schema_extra`` of an update's field that may be left out (it keeps its value)
    but not sent as null (the resolver refuses that): the document leaves null out of its
    type, and states ``extra`` (rules the resolver checks with its own messages)."""

    def document(schema: dict[str, Any]) -> None:
        options = [option for option in schema.pop("anyOf", []) if option != {"type": "null"}]
        if len(options) == 1:
            schema.update(options[0])
        elif options:
            schema["anyOf"] = options
        if schema.get("default", ...) is None:
            del schema["default"]  # not a value it takes: left out, the field keeps its own
        schema.update(extra)

    return document


def not_bool(value: Any) -> Any:
    # pydantic's lax int takes true/false as 1/0; a JSON boolean is no number.
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Must be an integer.")
    return value


def _decimal_schema(number: dict[str, Any], pattern: str) -> WithJsonSchema:
    """What the OpenAPI document says of a Decimal input: a JSON number, or the same as a
    string (pydantic's own schema leaves the bounds as keywords no validator knows)."""
    return WithJsonSchema(
        {"anyOf": [{"type": "number", **number}, {"type": "string", "pattern": pattern}]}
    )


# The document states the range as a pattern of years (1900-9999): JSON Schema has none for dates.
IsoDate = Annotated[
    date,
    BeforeValidator(_as_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": r"^(19|[2-9]\d)\d\d-"}),
]
Currency = Annotated[
    str, BeforeValidator(_currency), WithJsonSchema({"type": "string", "pattern": CURRENCY})
]
Email = Annotated[
    str | None,
    BeforeValidator(_email),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": EMAIL, "maxLength": MAX_EMAIL},
                {"type": "null"},
            ]
        }
    ),
]
# An integer, never a boolean; within what the database's INTEGER holds. (Bounds before the
# validator, so that the document shows them as minimum and maximum.)
Int = Annotated[int, Field(ge=-MAX_INT, le=MAX_INT), BeforeValidator(not_bool)]
# Quantities and prices take up to 4 decimals (API.md §2); money results have 2.
Quantity = Annotated[
    Decimal,
    BeforeValidator(_places(4)),
    BeforeValidator(_as_decimal),
    Field(gt=0, lt=10**12),
    _decimal_schema(
        {"exclusiveMinimum": 0, "exclusiveMaximum": 10**12, "multipleOf": 0.0001},
        r"^([1-9]\d{0,11}(\.\d{1,4})?|0?\.([1-9]\d{0,3}|0[1-9]\d{0,2}|00[1-9]\d?|000[1-9]))$",
    ),
]
Price = Annotated[
    Decimal,
    BeforeValidator(_places(4)),
    BeforeValidator(_as_decimal),
    Field(ge=0, lt=10**12),
    _decimal_schema(
        {"minimum": 0, "exclusiveMaximum": 10**12, "multipleOf": 0.0001},
        r"^(0|[1-9]\d{0,11})(\.\d{1,4})?$",
    ),
]
TaxRate = Annotated[
    Decimal,
    BeforeValidator(_places(4)),
    BeforeValidator(_as_decimal),
    Field(ge=0, le=100),
    _decimal_schema(
        {"minimum": 0, "maximum": 100, "multipleOf": 0.0001},
        r"^([1-9]?\d(\.\d{1,4})?|100(\.0{1,4})?)$",
    ),
]
Amount = Annotated[
    Decimal,
    BeforeValidator(_places(2)),
    BeforeValidator(_as_decimal),
    Field(gt=0, lt=10**14),
    _decimal_schema(
        {"exclusiveMinimum": 0, "exclusiveMaximum": 10**14, "multipleOf": 0.01},
        r"^([1-9]\d{0,13}(\.\d{1,2})?|0?\.([1-9]\d?|0[1-9]))$",
    ),
]

# Every error pydantic itself can raise on these inputs, in the project's own words; a message
# from a library never reaches a client (a custom error of ours carries its own).
_MESSAGES = {
    "missing": "The {field} field is required.",
    "literal_error": "Must be one of: {expected}.",
    "enum": "Must be one of: {expected}.",
    "too_short": "Must have at least {min_length} item(s).",
    "too_long": "Must have at most {max_length} items.",
    "string_too_short": "Must be at least {min_length} character(s) long.",
    "string_too_long": "Must be at most {max_length} characters long.",
    "greater_than": "Must be greater than {gt}.",
    "greater_than_equal": "Must be {ge} or more.",
    "less_than": "Must be less than {lt}.",
    "less_than_equal": "Must be {le} or less.",
    "string_pattern_mismatch": "Is not in the expected form.",
    "decimal_parsing": "Must be a number.",
    "decimal_type": "Must be a number.",
    "float_parsing": "Must be a number.",
    "float_type": "Must be a number.",
    "int_too_big": "Must be a smaller integer.",
    "date_parsing": "Must be a date in the form YYYY-MM-DD.",
    "date_type": "Must be a date in the form YYYY-MM-DD.",
    "int_parsing": "Must be an integer.",
    "int_type": "Must be an integer.",
    "int_from_float": "Must be an integer.",
    "string_type": "Must be a string.",
    "list_type": "Must be a list.",
    "model_type": "Must be an object.",
    "model_attributes_type": "Must be an object.",
    "dict_type": "Must be an object.",
    "bool_type": "Must be true or false.",
    "bool_parsing": "Must be true or false.",
}


def _plain(ctx: dict[str, Any]) -> dict[str, str]:
    """pydantic's context values as the messages write them: "'a', 'b' or 'c'" -> "a, b, c"."""
    plain = {key: str(value) for key, value in ctx.items()}
    if "expected" in plain:
        plain["expected"] = plain["expected"].replace("'", "").replace(" or ", ", ")
    return plain


def field_name(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def parse(model: type[M], data: Any) -> M:
    """Validate ``data`` against ``model`` or raise ValidationFailed keyed by field path."""
    if not isinstance(data, dict):
        raise ValidationFailed.on("body", "Must be an object.")
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        fields: dict[str, list[str]] = {}
        for error in exc.errors(include_url=False):
            name = field_name(error["loc"])
            template = _MESSAGES.get(error["type"])
            if template is not None:
                message = template.format(field=name, **_plain(error.get("ctx") or {}))
            else:  # one of ours (PydanticCustomError, a validator's ValueError): our words
                message = error["msg"]
            fields.setdefault(name, []).append(message.removeprefix("Value error, "))
        raise ValidationFailed(fields) from None


def stored_as_sent(input_model: type[BaseModel], model: Any, *ruled: str) -> tuple[str, ...]:
    """The fields of ``input_model`` that are stored as sent, each in ``model``'s column of
    its name: every field that names a column and that no rule of its own writes
    (``ruled``). A field added to both the input and the model is stored with no edit in
    the resolver."""
    columns = set(model.model_fields)
    return tuple(name for name in input_model.model_fields if name in columns and name not in ruled)


def sent_fields(model: BaseModel) -> dict[str, Any]:
    """The fields the caller actually sent (for partial updates), with their parsed values."""
    return {name: getattr(model, name) for name in model.model_fields_set}
