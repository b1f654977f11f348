"""InvoiceFlow: an invoicing backend, GraphQL first, with a REST v1 layer over one domain."""

__version__ = "0.1.0"
