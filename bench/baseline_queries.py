"""The raw baseline's SQL, written by hand: one statement per need, joins where they save one.

Written once for both databases with ``$1`` placeholders and the macros of bench/baseline_sql.py
(``{num2:...}``, ``{str2:...}``, ``{ts:...}``, ``{today}``, ``{ids:...}``).
"""

from __future__ import annotations

AUTH = """SELECT k.id, u.id, m.team_id, m.role FROM api_keys k
JOIN users u ON u.id = k.user_id
JOIN memberships m ON m.user_id = u.id AND m.team_id = u.current_team_id
WHERE k.key_hash = $1 AND k.revoked_at IS NULL"""
STATUS = (
    "CASE WHEN i.status IN ('sent', 'partial') AND i.due_date < {today} "
    "THEN 'overdue' ELSE i.status END"
)
LIVE = " WHERE i.team_id = $1 AND i.deleted_at IS NULL"
CUSTOMER = " LEFT JOIN customers c ON c.id = i.customer_id AND c.team_id = i.team_id"
SUMMARY = (
    "i.id, i.invoice_number, " + STATUS + ", i.customer_id, c.id, c.company_name, "
    "{num2:i.subtotal}, {num2:i.tax}, {num2:i.total}, {num2:i.amount_paid}, "
    "{num2:i.total - i.amount_paid}, i.currency, i.issue_date, i.due_date, {ts:i.created_at}"
)
# The total is a count of its own: count(*) OVER () would make the database build every row of
# the team (all columns, the join) before it keeps 100 of them.
REST_LIST = (
    "SELECT "
    + SUMMARY
    + " FROM invoices i"
    + CUSTOMER
    + LIVE
    + " ORDER BY i.id DESC LIMIT $2 OFFSET $3"
)
# The unfiltered total is the count the team row keeps (teams.live_invoices), as the product
# reads it: the same schema, the same work.
COUNT = "SELECT live_invoices FROM teams WHERE id = $1"


# ?search=: the number, or the customer's company or contact name, anywhere, any case. The
# same union the product runs, so that each side can use its own (trigram) index.
def _search(param: str) -> str:
    return (
        " AND i.id IN (SELECT id FROM invoices WHERE team_id = $1 AND "
        f"{{ilike:invoice_number, {param}}} UNION SELECT id FROM invoices WHERE team_id = $1 "
        "AND customer_id IN (SELECT id FROM customers WHERE team_id = $1 AND "
        f"({{ilike:company_name, {param}}} OR {{ilike:contact_name, {param}}})))"
    )


REST_SEARCH = (
    "SELECT "
    + SUMMARY
    + " FROM invoices i"
    + CUSTOMER
    + LIVE
    + _search("$4")
    + " ORDER BY i.id DESC LIMIT $2 OFFSET $3"
)
COUNT_SEARCH = "SELECT count(*) FROM invoices i" + LIVE + _search("$2")
REST_ONE = (
    "SELECT " + SUMMARY + ", c.contact_name, c.email, i.notes, i.payment_link_url, "
    "i.estimate_id, {ts:i.sent_at}, {ts:i.paid_at}, {ts:i.updated_at}, "
    "{num2:i.amount_overpaid} FROM invoices i" + CUSTOMER + LIVE + " AND i.id = $2"
)
LINES = (
    "SELECT id, product_id, description, {num4:quantity}, {num4:unit_price}, {num4:tax_rate}, "
    "{num2:amount}, {num2:tax_amount} FROM invoice_items WHERE invoice_id = $1 ORDER BY position"
)
PAYMENTS = (
    "SELECT id, invoice_id, {num2:amount}, paid_at, method, reference, {ts:created_at} "
    "FROM payments WHERE team_id = $1 AND invoice_id = $2 ORDER BY id DESC"
)
GQL_INVOICE = (
    "SELECT i.id, i.invoice_number, " + STATUS + ", {str2:i.total}, i.due_date, c.id, "
    "c.company_name FROM invoices i" + CUSTOMER + LIVE
)
GQL_LIST = GQL_INVOICE + " ORDER BY i.id DESC LIMIT $2"
GQL_ONE = GQL_INVOICE + " AND i.id = $2"
GQL_LINES = (
    "SELECT invoice_id, description, {str4:quantity}, {str4:unit_price} FROM invoice_items "
    "WHERE invoice_id IN {ids:$1} ORDER BY invoice_id, position"
)
CREATE_CUSTOMER = (
    "SELECT id, company_name, contact_name, email, currency FROM customers "
    "WHERE team_id = $1 AND id = $2 AND deleted_at IS NULL"
)
# The live count rises by itself with the insert (the database's triggers, migration 0010).
BUMP = (
    "UPDATE teams SET invoice_seq = invoice_seq + 1 WHERE id = $1 "
    "RETURNING invoice_seq, payment_terms_days"
)
INSERT_INVOICE = (
    "INSERT INTO invoices (team_id, customer_id, number, invoice_number, status, currency, "
    "issue_date, due_date, notes, subtotal, tax, total, amount_paid, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id"
)
LINE_COLUMNS = (
    "invoice_id, position, product_id, description, quantity, unit_price, tax_rate, amount, "
    "tax_amount"
)
