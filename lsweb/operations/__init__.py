"""Running lsweb: backups and restores, subject-access exports, account deletion, retention purges.

Each module is plain functions taking the app or explicit arguments (the CLI in commands.py and the
web views call them); none imports Flask's request.
"""


class OperationError(Exception):
    """A clear message for the technician: what went wrong and what to do; nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
