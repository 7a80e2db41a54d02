-- Indexes of the hot read paths; see db/mysql/0005_hot_path_indexes.sql.
CREATE INDEX IF NOT EXISTS live_entities_idx_status_updated_at
    ON live_entities (status, updated_at);
CREATE INDEX IF NOT EXISTS live_room_user_entities_idx_live_status
    ON live_room_user_entities (live_id, status, deleted_at);
