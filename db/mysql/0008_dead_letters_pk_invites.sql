-- Dead letters of business callbacks: an event the business server kept refusing past
-- callback.max_attempts or callback.max_age_s is marked dead (kept, listed on
-- GET /admin/callback/dead) so the later events of its room flow again.
ALTER TABLE `outbox` ADD COLUMN IF NOT EXISTS `dead_at` datetime DEFAULT NULL;

-- PK invitations: when the invited anchor first took part (asked for its relay token or
-- reported its start). A session still without it after live.pk_invite_timeout_s ends by itself.
ALTER TABLE `relay_sessions` ADD COLUMN IF NOT EXISTS `recv_joined_at` datetime DEFAULT NULL;
ALTER TABLE `relay_sessions` ADD KEY IF NOT EXISTS `idx_status_created` (`status`, `created_at`);
