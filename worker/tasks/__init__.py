"""One module per job kind; each defines the task that runs jobs of that kind."""

import pkgutil


def task_modules() -> list[str]:
    """Import paths of every task module in this package, found without importing them."""
    return [f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
