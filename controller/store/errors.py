"""Store errors: a constraint refused a change (the change was rolled back)."""


class StoreError(Exception):
    """A store operation was refused (constraint, trigger, unknown id)."""


class StoreConflict(StoreError):
    """A concurrent transaction (another replica) collided with this one (deadlock,
    serialization failure): nothing was changed and the same call may simply be retried."""
