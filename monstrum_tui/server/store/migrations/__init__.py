"""The store's schema migrations (Alembic), shipped inside the package.

``versions/`` holds one file per revision, oldest first: ``0001`` is the schema as it
was before migrations existed (and adopts such a database in place), later ones change
it. ``store/migrate.py`` runs them; ``monstrum db upgrade`` / ``db current`` are the
operators' commands. A new revision: change ``store/schema.py`` (or ``audit/tables.py``),
then write ``versions/NNNN_what.py`` by hand or let Alembic draft it against a database
at head::

    MONSTRUM_DATABASE_URL=sqlite:///scratch.db monstrum db upgrade
    MONSTRUM_DATABASE_URL=sqlite:///scratch.db alembic \\
        -c monstrum_tui/server/store/migrations/alembic.ini revision --autogenerate -m what

``tests/test_migrations.py`` fails while the tables and the migrations disagree.
"""
