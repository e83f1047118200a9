"""The colorization Turing test (Zhang et al. 2016): photos, their colorizations, sessions, trials, votes.

Storage is SQLAlchemy 2 on SQLite (default, a file under ``var/``) or PostgreSQL (``DATABASE_URL``);
the schema is managed by Alembic (``alembic.ini`` and ``migrations/`` in this package) and upgraded
programmatically when the app starts. Image bytes (the real photo and every colorization, already
normalised to the trial size) are stored in the database, so a backup of the database is complete.
"""
