"""Domain exceptions. Each carries the contract's error code and its HTTP status.

Resolvers raise them; the REST layer turns them into the error envelope and the GraphQL layer
into ``extensions.code``, each in exactly one place. Errors only HTTP can cause (a method not
allowed, a body too large or not JSON, a rate limit, a client gone) live in invoiceflow/http.py.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "server_error"
    status = 500
    default_message = "Something went wrong on our side."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class BadRequest(DomainError):
    code = "bad_request"
    status = 400
    default_message = "The request body must be a JSON object."


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401
    default_message = "A valid API key is required: send 'Authorization: Bearer <key>'."


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_message = "Your role in this team does not allow this action."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class InvalidState(DomainError):
    code = "invalid_state"
    status = 409
    default_message = "The object's state does not allow this action."


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422
    default_message = "The given data was invalid."

    def __init__(self, fields: dict[str, list[str]], message: str | None = None) -> None:
        super().__init__(message)
        self.fields = fields

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        return cls({field: [message]})


class UpstreamError(DomainError):
    code = "upstream_error"
    status = 502
    default_message = "An upstream service failed; nothing was changed."


class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    status = 503
    default_message = "The database cannot be reached right now; try again shortly."
