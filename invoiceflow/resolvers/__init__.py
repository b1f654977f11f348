"""The domain: plain async functions that enforce every rule and the tenant.

No Strawberry and no Starlette here: both APIs call these functions the same way.
"""
