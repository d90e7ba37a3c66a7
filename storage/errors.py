"""The one root error of storage/."""

from __future__ import annotations

from flows.errors import RoleTakenError


class StorageError(Exception):
    """Root of every error raised by storage/."""


class MigrationError(StorageError):
    """The database schema is newer than this code, or a migration failed."""


class RoleConflictError(StorageError, RoleTakenError):
    """A unit of work gave a partnership's role a second member (the unique constraint)."""
