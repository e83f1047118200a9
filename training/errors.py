"""Errors of the training side; ``pretext`` reports them and exits 2 instead of a traceback."""

from core.errors import PretextError


class TrainingConfigError(PretextError, ValueError):
    """A training configuration that cannot work, caught before data is cached or a step is run."""
