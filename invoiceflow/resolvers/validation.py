"""Input validation shared by both APIs: pydantic models in, field-keyed errors out."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from invoiceflow.resolvers.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)


class Input(BaseModel):
    """Base of every input: unknown fields are ignored, strings are stripped."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


def _as_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("date_format", "Must be a date in the form YYYY-MM-DD.")


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
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z]{3}", value.strip()):
        return value.strip().upper()
    raise PydanticCustomError("currency", "Must be a three-letter ISO 4217 currency code.")


def _email(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value.strip()):
        return value.strip()
    raise PydanticCustomError("email", "Must be a valid email address.")


IsoDate = Annotated[date, BeforeValidator(_as_date)]
Currency = Annotated[str, BeforeValidator(_currency)]
Email = Annotated[str | None, BeforeValidator(_email)]
# Quantities and prices take up to 4 decimals (API.md §2); money results have 2.
Quantity = Annotated[
    Decimal, BeforeValidator(_places(4)), BeforeValidator(_as_decimal), Field(gt=0, lt=10**12)
]
Price = Annotated[
    Decimal, BeforeValidator(_places(4)), BeforeValidator(_as_decimal), Field(ge=0, lt=10**12)
]
TaxRate = Annotated[
    Decimal, BeforeValidator(_places(4)), BeforeValidator(_as_decimal), Field(ge=0, le=100)
]
Amount = Annotated[
    Decimal, BeforeValidator(_places(2)), BeforeValidator(_as_decimal), Field(gt=0, lt=10**14)
]

_MESSAGES = {
    "missing": "The {field} field is required.",
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
            message = template.format(field=name) if template else error["msg"]
            fields.setdefault(name, []).append(message.removeprefix("Value error, "))
        raise ValidationFailed(fields) from None


def sent_fields(model: BaseModel) -> dict[str, Any]:
    """The fields the caller actually sent (for partial updates), with their parsed values."""
    return {name: getattr(model, name) for name in model.model_fields_set}
