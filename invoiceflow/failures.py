"""Turn anything raised while serving a request into a domain error with a contract code."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import exc as sa_exc

from invoiceflow.core.errors import DomainError, ServiceUnavailable

log = logging.getLogger("invoiceflow")

_UNREACHABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
)


def as_domain_error(exc: BaseException) -> DomainError:
    """Domain errors pass through; a lost database is a 503; anything else is a logged 500."""
    if isinstance(exc, DomainError):
        return exc
    lost = isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated
    if lost or isinstance(exc, _UNREACHABLE):
        log.error("database unavailable: %s", exc.__class__.__name__)
        return ServiceUnavailable()
    log.error("unexpected error", exc_info=exc)
    return DomainError()
