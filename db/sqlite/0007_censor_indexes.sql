-- Indexes of the moderation paths; see db/mysql/0007_censor_indexes.sql.
CREATE INDEX IF NOT EXISTS live_censor_idx_job ON live_censor (job_id);
CREATE INDEX IF NOT EXISTS censor_image_idx_live_review ON censor_image (live_id, is_review, created_at);
