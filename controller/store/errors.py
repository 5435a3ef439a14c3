"""Store errors: a constraint refused a change (the change was rolled back)."""


class StoreError(Exception):
    """A store operation was refused (constraint, trigger, unknown id)."""
