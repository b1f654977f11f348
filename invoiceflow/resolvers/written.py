"""What a resolver already holds, kept for the same request's loaders.

A create answers with what it wrote: the new invoice's lines, its customer, its (no)
payments. Reading them back costs statements while the team's numbering row is locked;
instead the resolver says what they are, and the loader of that name (see
``invoiceflow.loaders.Loaders``) answers those keys without SQL. A list of invoices that
reads its customers in its own statement hands them over the same way. Only for values
nothing later in the request changes: the session (one per request) keeps them in
``session.info``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

_KEY = "invoiceflow.written"


def remember(session: AsyncSession, loader: str, key: int, value: Any) -> None:
    """``loader`` (a name of ``Loaders``) is to answer ``value`` for ``key``."""
    remembered(session, loader)[key] = value


def remembered(session: AsyncSession, loader: str) -> dict[int, Any]:
    """What ``loader`` is to answer, by key, to add to: for a caller remembering many."""
    known: dict[int, Any] = session.info.setdefault(_KEY, {}).setdefault(loader, {})
    return known


def written(session: AsyncSession, loader: str) -> dict[int, Any]:
    """What this request's resolvers said ``loader`` should answer, by key."""
    known: dict[str, dict[int, Any]] = session.info.get(_KEY, {})
    return known.get(loader, {})


def forget_written(session: AsyncSession) -> None:
    """Drop everything remembered (the next mutation of a document starts afresh)."""
    session.info.pop(_KEY, None)
