"""Exceptions of the agent package.

Tree::

    AgentError               base, never raised directly
    ├── ConfigError          a configuration key is missing or wrong (carries the key)
    ├── JournalError         the local journal cannot be opened, read or written
    │   └── JournalKeyError  the journal key is missing, unreadable, too open or malformed
    └── PrintingError        a printer backend could not be built from its configuration
"""

from __future__ import annotations


class AgentError(Exception):
    """Base of every error the agent raises on purpose."""


class ConfigError(AgentError):
    """A configuration key is missing or has a bad value; `key` names it (e.g. `printers[1].id`)."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class JournalError(AgentError):
    """The local journal cannot be opened, read or written."""


class JournalKeyError(JournalError):
    """The journal encryption key is missing, unreadable, readable by others or malformed."""


class PrintingError(AgentError):
    """A printer backend cannot be built (missing component, bad printer settings)."""
