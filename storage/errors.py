"""The one root error of storage/."""

from __future__ import annotations


class StorageError(Exception):
    """Root of every error raised by storage/."""


class MigrationError(StorageError):
    """The database schema is newer than this code, or a migration failed."""
