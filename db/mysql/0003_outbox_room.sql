-- Per-room ordering of business callbacks: the delivery worker looks for the oldest undelivered
-- event of each room (NOT EXISTS an older undelivered one), which this index serves.
ALTER TABLE `outbox` ADD KEY `idx_room` (`live_id`, `delivered_at`, `id`);
