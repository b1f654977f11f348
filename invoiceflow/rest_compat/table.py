"""The vocabulary of the REST route table: a route is a row of data.

A row names the HTTP method and path, the resolver it calls, where each of the resolver's
arguments comes from (path, query string or body), how the result is shaped, and the
success status and message. The dispatcher and the OpenAPI document both read these rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from invoiceflow.context import Context
from invoiceflow.core.errors import NotFound, ValidationFailed
from invoiceflow.fast.reads import NOTHING, Reads
from invoiceflow.resolvers.pagination import MAX_PAGE, MAX_PER_PAGE
from invoiceflow.resolvers.validation import MAX_INT, id_from_text, int_from_text
from invoiceflow.rest_compat.shapes.fields import Answer

Shape = Callable[[Context, Any], Awaitable[Any]]


@dataclass(frozen=True)
class RequestData:
    path: Mapping[str, str]
    query: Mapping[str, str]
    body: Any
    effects: Any = None


class Arg:
    """Where one resolver argument comes from."""

    def read(self, request: RequestData) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class PathId(Arg):
    name: str = "id"

    def read(self, request: RequestData) -> int:
        # A non-numeric id answers like any id that does not exist.
        found = id_from_text(request.path[self.name])
        if found is None:
            raise NotFound()
        return found


@dataclass(frozen=True)
class PathText(Arg):
    """A path segment that is an opaque id (an event's ``evt_...``)."""

    name: str = "id"
    max_length: int = 64

    def read(self, request: RequestData) -> str:
        found = request.path[self.name]
        if len(found) > self.max_length:
            raise NotFound()
        return found


@dataclass(frozen=True)
class Query(Arg):
    name: str
    type: type = str
    description: str = ""
    enum: tuple[str, ...] = ()
    # Bounds of an integer (the document states them; the resolver checks minimum and maximum,
    # and any integer beyond what the database's INTEGER holds is refused here).
    minimum: int = -MAX_INT
    maximum: int = MAX_INT
    # The longest text taken (the document states it; the resolver checks it).
    max_length: int | None = None
    # An integer above this, of any size, is read as this (a page size: API.md §2 clamps it).
    clamp: int | None = None

    def read(self, request: RequestData) -> Any:
        raw = request.query.get(self.name)
        if raw is None or raw == "":
            return None
        if self.type is int:
            return int_from_text(raw, self.name, at_most=self.clamp)
        if self.type is bool:
            lowered = raw.lower()
            if lowered in ("true", "1"):
                return True
            if lowered in ("false", "0"):
                return False
            raise ValidationFailed.on(self.name, "Must be true, false, 1 or 0.")
        return raw


@dataclass(frozen=True)
class QueryList(Query):
    """A query parameter that may repeat (``?type=a&type=b``): the list of its values."""

    def read(self, request: RequestData) -> Any:
        getlist = getattr(request.query, "getlist", None)
        found = getlist(self.name) if getlist else [request.query.get(self.name)]
        values = [value for value in found if value]
        for value in values:
            if self.max_length is not None and len(value) > self.max_length:
                raise ValidationFailed.on(self.name, f"At most {self.max_length} characters.")
        return values or None


@dataclass(frozen=True)
class Body(Arg):
    """The JSON body, handed to the resolver as a dict (it validates it)."""

    schema: type | None = None

    def read(self, request: RequestData) -> Any:
        return request.body


@dataclass(frozen=True)
class UsesEffects(Arg):
    """The mailer and payment gateway, for resolvers that reach outside."""

    def read(self, request: RequestData) -> Any:
        return request.effects


def paging() -> dict[str, Arg]:
    return {
        "page": Query("page", int, "Page number, from 1.", minimum=1, maximum=MAX_PAGE),
        "per_page": Query(
            "per_page",
            int,
            "Results per page (default 15; more than 100 reads as 100).",
            minimum=1,
            clamp=MAX_PER_PAGE,
        ),
    }


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    resolver: Callable[..., Awaitable[Any]]
    summary: str
    args: dict[str, Arg] = field(default_factory=dict)
    shape: Shape | None = None
    status: int = 200
    message: str | Callable[[Any], str] | None = None
    # A list route returns a Page: ``shape`` applies to each item and ``meta`` is added.
    many: bool = False
    # A feed (the events): a list read after a sequence, its meta has_more and next_after.
    feed: bool = False
    # The error statuses this route can answer beyond 401/429/5xx (for the OpenAPI document).
    errors: tuple[int, ...] = ()
    tag: str = ""
    # The resolver returns a Document (a file), sent as it is instead of the JSON envelope.
    media_type: str | None = None

    @property
    def reads(self) -> Reads:
        """What its shape reads of the rows, by read (fast/reads.py): all where unsaid."""
        return self.shape.reads if isinstance(self.shape, Answer) else NOTHING

    @property
    def writes(self) -> bool:
        return self.method not in ("GET", "HEAD")

    def message_for(self, result: Any) -> str | None:
        if callable(self.message):
            return self.message(result)
        return self.message
