-- One presence row per user (spec 02 §10.2, §12 #32) and an index for the audience-timeout scan
-- (§12 #28). Duplicates a reference database may hold are dropped first, keeping the oldest row
-- of each user (the one the reference itself reads).
DELETE FROM `live_room_user_entities` WHERE `id` NOT IN (
    SELECT `id` FROM (SELECT MIN(`id`) AS `id` FROM `live_room_user_entities` GROUP BY `user_id`) AS `keep`);
ALTER TABLE `live_room_user_entities`
    ADD UNIQUE KEY `uix_user` (`user_id`),
    ADD KEY `idx_status_heart_beat` (`status`, `heart_beat_at`);
