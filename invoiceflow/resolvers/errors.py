"""Domain exceptions. Each carries the contract's error code (API.md §2) and its HTTP status.

Resolvers raise them; the REST layer turns them into the error envelope and the GraphQL layer
into ``extensions.code`` — each in exactly one place.
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


class MethodNotAllowed(DomainError):
    code = "method_not_allowed"
    status = 405
    default_message = "This method is not allowed here."


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


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    status = 413
    default_message = "The request body is larger than 1 MB."


class ClientClosedRequest(DomainError):
    """The client hung up before its request was read: nginx's 499, answered to nobody and
    logged as that status alone (API.md §6)."""

    code = "client_closed_request"
    status = 499
    default_message = "The client closed the connection before sending its whole request."


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415
    default_message = "Send the request body as JSON, with 'Content-Type: application/json'."


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    default_message = "Too many requests: slow down and retry after the time in Retry-After."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamError(DomainError):
    code = "upstream_error"
    status = 502
    default_message = "An upstream service failed; nothing was changed."


class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    status = 503
    default_message = "The database cannot be reached right now; try again shortly."
