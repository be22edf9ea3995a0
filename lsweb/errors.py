"""Domain errors raised by services and turned into clear messages by views."""


class DomainError(Exception):
    """A rule of lsweb refused the action; the message is shown to the user as it is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    pass


def show_on_form(form, error: DomainError) -> None:
    """Put a service's refusal beside the field it names (or above the form), keeping the input."""
    field = getattr(form, error.field, None) if error.field else None
    (field.errors if field is not None else form.form_errors).append(error.message)


class SignFirst(Exception):
    """A member who has not signed their group's current protocol asked for one of its pages: the app
    sends them to sign it (security.register_error_pages), saying what they wanted to see."""

    def __init__(self, group_id: int, what: str = "its lessons and plans"):
        super().__init__(what)
        self.group_id, self.what = group_id, what
