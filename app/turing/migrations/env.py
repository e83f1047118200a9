"""Alembic environment: uses the connection handed over by app.turing.db.migrate, or -x url=..."""

from alembic import context
from sqlalchemy import create_engine

from app.turing.tables import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    from app.turing.db import database_url, engine_url

    url = context.get_x_argument(as_dictionary=True).get("url") or database_url()
    engine = create_engine(engine_url(url))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
