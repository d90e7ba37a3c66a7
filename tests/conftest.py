"""Suite-wide settings."""

from __future__ import annotations

import os

# PTB 22 warns on every RetryAfter unless it may use timedelta; warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "1")
