-- Indexes of the moderation paths: a result callback finds its job by id, the review pages
-- read one live's frames (optionally only the unreviewed ones) and the censored-live list
-- counts them per live.
ALTER TABLE `live_censor`
    ADD KEY `idx_job` (`job_id`);
ALTER TABLE `censor_image`
    ADD KEY `idx_live_review` (`live_id`, `is_review`, `created_at`);
