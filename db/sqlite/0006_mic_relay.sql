-- One seat row per (live, user) and an index for the PK lookups by pk_id; see
-- db/mysql/0006_mic_relay.sql.
DELETE FROM live_mic_entities WHERE deleted_at IS NOT NULL;
DELETE FROM live_mic_entities WHERE id NOT IN (
    SELECT id FROM (SELECT MIN(id) AS id FROM live_mic_entities GROUP BY live_id, user_id) AS keep);
CREATE UNIQUE INDEX IF NOT EXISTS live_mic_entities_uix_live_user ON live_mic_entities (live_id, user_id);
CREATE INDEX IF NOT EXISTS live_entities_idx_pk_id ON live_entities (pk_id);
