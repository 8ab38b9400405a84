"""Errors that explain a user's mistake. Front ends show their message in one line (CLI: exit status 2)."""


class UserInputError(ValueError):
    """Bad input from a person: an unknown name, a size out of range, an unwritable path."""


class ReportError(UserInputError):
    """A report file that cannot be read: malformed JSON, wrong schema version, absurd values."""
