"""GraphQL errors in the contract's form: ``extensions.code`` and, for validation, ``fields``."""

from __future__ import annotations

import re
from typing import Any, cast

from graphql import GraphQLError

from invoiceflow.core.errors import DomainError, ValidationFailed
from invoiceflow.failures import as_domain_error


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def field_path(name: str) -> str:
    """``items.0.unit_price`` as GraphQL clients sent it: ``items.0.unitPrice``."""
    return ".".join(camel(part) for part in name.split("."))


def domain_error_json(error: DomainError, path: Any = None) -> dict[str, Any]:
    extensions: dict[str, Any] = {"code": error.code.upper()}
    if isinstance(error, ValidationFailed):
        extensions["fields"] = {field_path(k): v for k, v in error.fields.items()}
    body: dict[str, Any] = {"message": error.message, "extensions": extensions}
    if path is not None:
        body["path"] = path
    return body


# graphql-core appends " Did you mean 'x' or 'y'?" to many messages (arguments, enum values,
# input fields, types); the contract allows no suggestions, which would leak the schema.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def format_error(error: GraphQLError) -> dict[str, Any]:
    """One error of an execution result; unexpected ones are masked (and logged)."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        # The document or its variables are wrong (syntax, unknown field, a variable of the
        # wrong type, limits): the client's to fix.
        formatted = cast("dict[str, Any]", error.formatted)
        formatted["message"] = _SUGGESTION.sub("", formatted["message"])
        formatted["extensions"] = {"code": "BAD_REQUEST"}
        return formatted
    return domain_error_json(as_domain_error(original), error.path)
