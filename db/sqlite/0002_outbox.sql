-- qnlive's own tables (not in the reference schema); see db/mysql/0002_outbox.sql.

CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER NOT NULL PRIMARY KEY,
    applied_at TEXT DEFAULT NULL
);

CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL DEFAULT '',
    live_id TEXT NOT NULL DEFAULT '',
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT DEFAULT NULL,
    last_error TEXT DEFAULT NULL,
    locked_by TEXT DEFAULT NULL,
    locked_until TEXT DEFAULT NULL
);
CREATE INDEX IF NOT EXISTS outbox_idx_pending ON outbox (delivered_at, next_attempt_at);
