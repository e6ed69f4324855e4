"""The one exception the API turns into a ``{"error": ...}`` response with a 4xx status."""


class APIError(Exception):
    """A request the server refuses, with the HTTP status that says why (400, 413, 415, 422)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message
