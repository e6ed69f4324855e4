"""The one exception type the command line turns into a single line on stderr."""


class CLIError(Exception):
    """A user-facing failure: missing file, unreadable checkpoint or image, bad option value."""
