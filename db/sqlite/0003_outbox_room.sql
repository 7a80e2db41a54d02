-- Per-room ordering of business callbacks; see db/mysql/0003_outbox_room.sql.
CREATE INDEX IF NOT EXISTS outbox_idx_room ON outbox (live_id, delivered_at, id);
