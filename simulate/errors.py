"""Errors of the simulator. SimulateError is the base, never raised itself.

- ScenarioError: the scenario file is wrong; it names the key and says what is expected.
"""

from __future__ import annotations


class SimulateError(Exception):
    """Base of the simulator's errors."""


class ScenarioError(SimulateError):
    def __init__(self, key: str, expected: str) -> None:
        self.key = key
        self.expected = expected
        super().__init__(f"{key}: expected {expected}")
