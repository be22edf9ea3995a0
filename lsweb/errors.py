"""Domain errors raised by services and turned into clear messages by views."""


class DomainError(Exception):
    """A rule of lsweb refused the action; the message is shown to the user as it is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    pass
