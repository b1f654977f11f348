"""The fast paths: what InvoiceFlow does faster than its libraries would, behind one door.

Each part answers exactly what the stock path answers, and each is switched off, all
together, by ``INVOICEFLOW_FAST_PATHS=off`` (read once, when this package is first imported):
graphql-core's own execution, every column read, and plain SQLAlchemy reads on aiosqlite and
asyncpg. ``make test`` runs the API suites in both modes. What each part does, why, and which
private parts of its library it touches: README.md beside this file.

Nothing outside this package imports more of it than the switch and the entry points its
README names: the domain's functions never see it.
"""

from __future__ import annotations

from invoiceflow.settings import get_settings

ON: bool = get_settings().fast_paths == "on"
