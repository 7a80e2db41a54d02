-- Dead letters of business callbacks: an event the business server kept refusing past
-- callback.max_attempts or callback.max_age_s is marked dead (kept, listed on
-- GET /admin/callback/dead) so the later events of its room flow again.
ALTER TABLE `outbox` ADD COLUMN IF NOT EXISTS `dead_at` datetime DEFAULT NULL;
ALTER TABLE `outbox` ADD KEY IF NOT EXISTS `idx_dead` (`dead_at`);

-- PK invitations: when the invited anchor of a relay session first took part (asked for its
-- relay token or reported its start). A session without a row here after
-- live.pk_invite_timeout_s ends by itself. The reference tables keep their columns.
CREATE TABLE IF NOT EXISTS `relay_joins` (
    `session_id` bigint unsigned NOT NULL COMMENT 'relay_sessions.id',
    `joined_at` datetime NOT NULL,
    PRIMARY KEY (`session_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
ALTER TABLE `relay_sessions` ADD KEY IF NOT EXISTS `idx_status_created` (`status`, `created_at`);
