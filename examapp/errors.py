"""Domain errors raised by services and shown to users in Chinese."""


class DomainError(Exception):
    """A rule of the domain refused the operation; ``str(exc)`` is for users."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    pass
