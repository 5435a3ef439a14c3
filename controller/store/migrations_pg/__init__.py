"""PostgreSQL schema migrations: the same numbered versions as the SQLite ones (../migrations),
written for PostgreSQL; applied by `cetak.controller.store.postgres.apply_migrations`."""
