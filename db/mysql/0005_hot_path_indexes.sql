-- Indexes of the hot read paths. A room list orders by (status, updated_at) and reads only the
-- page instead of sorting every open room; a room's online count is read from the index alone.
ALTER TABLE `live_entities`
    ADD KEY `idx_status_updated_at` (`status`, `updated_at`);
ALTER TABLE `live_room_user_entities`
    ADD KEY `idx_live_status` (`live_id`, `status`, `deleted_at`);
