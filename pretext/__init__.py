"""The ``pretext`` command line."""
