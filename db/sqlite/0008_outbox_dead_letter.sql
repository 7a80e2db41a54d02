-- Dead letters of business callbacks; see db/mysql/0008_outbox_dead_letter.sql.
ALTER TABLE outbox ADD COLUMN dead_at TEXT DEFAULT NULL;
