"""Suite-wide settings."""
import os

from hypothesis import settings

# In CI, property tests draw the same examples on every run (a failure there can be replayed, and a rare
# unlucky draw cannot fail one run of an unchanged tree); elsewhere they explore new examples each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
