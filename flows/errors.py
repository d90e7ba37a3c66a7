"""The one root error of flows/, and the few kinds the adapter tells apart."""

from __future__ import annotations


class FlowError(Exception):
    """Root of every error raised by flows/."""


class ContentError(FlowError):
    """The canvas or message data is invalid; start-up must stop and name the entry."""


class UnknownActionError(FlowError):
    """A button's data could not be parsed: crafted, truncated or from an old version."""


class RoleTakenError(FlowError):
    """A member row would take a role already taken in its partnership: two people used the
    same invite at the same moment, and the other one's join was stored first."""
