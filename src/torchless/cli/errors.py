"""The one exception type the command line turns into a single line on stderr."""
import sys


class CLIError(Exception):
    """A user-facing failure: missing file, unreadable checkpoint or image, bad option value."""


def report(command, error):
    """Print ``error`` as the one line ``torchless COMMAND: error: ...`` on stderr."""
    print(f"torchless {command}: error: {error}", file=sys.stderr)
