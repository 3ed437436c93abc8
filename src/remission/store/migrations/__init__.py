"""Alembic migrations of the store (a package so that installers ship the scripts)."""
