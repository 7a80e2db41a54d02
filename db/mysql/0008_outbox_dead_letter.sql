-- Dead letters of business callbacks: an event the business server kept refusing past
-- callback.max_attempts or callback.max_age_s is marked dead (kept, listed on
-- GET /admin/callback/dead) so the later events of its room flow again.
ALTER TABLE `outbox` ADD COLUMN IF NOT EXISTS `dead_at` datetime DEFAULT NULL;
