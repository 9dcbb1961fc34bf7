"""Alembic environment and revisions of the store's schema; applied by ``open_store`` on first use."""
