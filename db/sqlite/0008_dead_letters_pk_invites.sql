-- Dead letters and PK invitations; see db/mysql/0008_dead_letters_pk_invites.sql.
ALTER TABLE outbox ADD COLUMN dead_at TEXT DEFAULT NULL;
CREATE INDEX IF NOT EXISTS outbox_idx_dead ON outbox (dead_at);
CREATE TABLE IF NOT EXISTS relay_joins (
    session_id INTEGER PRIMARY KEY,
    joined_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS relay_sessions_idx_status_created ON relay_sessions (status, created_at);
