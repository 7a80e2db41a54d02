-- One seat row per (live, user) (spec 03 §10 #20) so a concurrent first "go on mic" cannot create
-- two rows, and an index for the PK lookups by pk_id (§3.4 R6). Rows a reference database may
-- hold that no query can see (soft-deleted) or that the reference never reads (later duplicates)
-- are dropped first, keeping the oldest row of each seat (the one the reference reads).
DELETE FROM `live_mic_entities` WHERE `deleted_at` IS NOT NULL;
DELETE FROM `live_mic_entities` WHERE `id` NOT IN (
    SELECT `id` FROM (SELECT MIN(`id`) AS `id` FROM `live_mic_entities`
                      GROUP BY `live_id`, `user_id`) AS `keep`);
ALTER TABLE `live_mic_entities` ADD UNIQUE KEY `uix_live_user` (`live_id`, `user_id`);
ALTER TABLE `live_entities` ADD KEY `idx_pk_id` (`pk_id`);
