"""The operational store: SQLAlchemy models' base, engines, sessions and Alembic migrations."""
