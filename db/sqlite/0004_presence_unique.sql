-- One presence row per user and an index for the audience-timeout scan; see
-- db/mysql/0004_presence_unique.sql.
DELETE FROM live_room_user_entities WHERE id NOT IN (
    SELECT id FROM (SELECT MIN(id) AS id FROM live_room_user_entities GROUP BY user_id) AS keep);
CREATE UNIQUE INDEX IF NOT EXISTS live_room_user_entities_uix_user ON live_room_user_entities (user_id);
CREATE INDEX IF NOT EXISTS live_room_user_entities_idx_status_heart_beat
    ON live_room_user_entities (status, heart_beat_at);
