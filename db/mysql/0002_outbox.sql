-- qnlive's own tables (not in the reference schema).

-- Bookkeeping of applied migrations (the store also creates it before applying 0001).
CREATE TABLE IF NOT EXISTS `schema_migrations` (
    `version` bigint NOT NULL,
    `applied_at` datetime DEFAULT NULL,
    PRIMARY KEY (`version`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Durable business callbacks: a row per event, delivered with retries and back-off so a down
-- business server loses nothing. A node claims a row by setting locked_by/locked_until.
CREATE TABLE IF NOT EXISTS `outbox` (
    `id` bigint unsigned NOT NULL AUTO_INCREMENT,
    `topic` varchar(64) NOT NULL DEFAULT '',
    `live_id` varchar(64) NOT NULL DEFAULT '',
    `payload` mediumtext NOT NULL,
    `attempts` int NOT NULL DEFAULT 0,
    `next_attempt_at` datetime NOT NULL,
    `created_at` datetime NOT NULL,
    `delivered_at` datetime DEFAULT NULL,
    `last_error` varchar(255) DEFAULT NULL,
    `locked_by` varchar(64) DEFAULT NULL,
    `locked_until` datetime DEFAULT NULL,
    PRIMARY KEY (`id`),
    KEY `idx_pending` (`delivered_at`, `next_attempt_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
