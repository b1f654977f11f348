"""The ground floor: what every layer shares, below the domain and the HTTP plumbing alike.

Domain errors (errors.py), the caller (principal.py), what the domain may ask of the outside
world (effects.py), how money is counted in minor units and written out (money.py), and JSON
as both APIs write it (jsontext.py). Nothing here imports anything of InvoiceFlow's above it.
"""
