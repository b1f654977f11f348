"""The InvoiceFlow benchmark: `python -m bench` (see bench/__main__.py and bench/RESULTS.md)."""
