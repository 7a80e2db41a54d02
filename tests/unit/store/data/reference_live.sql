-- Test fixture: the schema exactly as the reference server's live.sql creates it (plain CREATE
-- TABLE, BOOLEAN columns, `varchar DEFAULT FALSE`), followed by rows a running deployment would
-- hold. The adoption test loads it into an empty database and then lets qnlive migrate it.

CREATE TABLE `live_entities` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `live_id` varchar(64) DEFAULT NULL,
    `title` varchar(128) DEFAULT NULL,
    `notice` varchar(255) DEFAULT NULL,
    `cover_url` varchar(255) DEFAULT NULL,
    `extends` varchar(1024) DEFAULT NULL,
    `anchor_id` varchar(64) DEFAULT NULL,
    `status` int DEFAULT NULL,
    `pk_id` varchar(64) DEFAULT NULL,
    `online_count` int DEFAULT NULL,
    `start_at` datetime DEFAULT NULL,
    `end_at` datetime DEFAULT NULL,
    `chat_id` bigint DEFAULT NULL,
    `push_url` varchar(255) DEFAULT NULL,
    `rtmp_play_url` varchar(255) DEFAULT NULL,
    `flv_play_url` varchar(255) DEFAULT NULL,
    `hls_play_url` varchar(255) DEFAULT NULL,
    `last_heartbeat_at` datetime DEFAULT NULL,
    `created_at` datetime DEFAULT NULL,
    `updated_at` datetime DEFAULT NULL,
    `deleted_at` datetime DEFAULT NULL,
    `stop_reason` varchar(64) DEFAULT '',
    `stop_user_id` varchar(64) DEFAULT '',
    `stop_at` datetime DEFAULT NULL,
    `unreview_censor_count` int DEFAULT NULL,
    `last_censor_time` int DEFAULT NULL,
    PRIMARY KEY (`id`),
    UNIQUE KEY `live_id` (`live_id`),
    KEY `idx_status_deleted_at` (`status`, `deleted_at`),
    KEY `idx_anchor_deleted_at` (`anchor_id`, `deleted_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `live_mic_entities` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `live_id` varchar(64) DEFAULT NULL,
    `user_id` varchar(64) DEFAULT NULL,
    `mic` tinyint(1) DEFAULT NULL,
    `camera` tinyint(1) DEFAULT NULL,
    `status` int DEFAULT NULL,
    `extends` varchar(1024) DEFAULT NULL,
    `created_at` datetime DEFAULT NULL,
    `updated_at` datetime DEFAULT NULL,
    `deleted_at` datetime DEFAULT NULL,
    PRIMARY KEY (`id`),
    KEY `idx_live` (`live_id`, `deleted_at`),
    KEY `idx_user` (`user_id`, `deleted_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `live_users` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `user_id` varchar(64) DEFAULT NULL,
    `nick` varchar(64) DEFAULT NULL,
    `avatar` varchar(255) DEFAULT NULL,
    `extends` json DEFAULT NULL,
    `im_userid` bigint DEFAULT NULL,
    `im_username` varchar(64) DEFAULT NULL,
    `im_password` varchar(32) DEFAULT NULL,
    `created_at` datetime DEFAULT NULL,
    `updated_at` datetime DEFAULT NULL,
    `deleted_at` datetime DEFAULT NULL,
    PRIMARY KEY (`id`),
    UNIQUE KEY `user_id` (`user_id`),
    KEY `idx_im_userid` (`im_userid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `live_room_user_entities` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `live_id` varchar(64) DEFAULT NULL,
    `user_id` varchar(64) DEFAULT NULL,
    `status` int DEFAULT NULL,
    `heart_beat_at` datetime DEFAULT NULL,
    `created_at` datetime DEFAULT NULL,
    `updated_at` datetime DEFAULT NULL,
    `deleted_at` datetime DEFAULT NULL,
    PRIMARY KEY (`id`),
    KEY `idx_live` (`live_id`),
    KEY `idx_user` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `relay_sessions` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `sid` varchar(64) DEFAULT NULL,
    `init_user_id` varchar(64) DEFAULT NULL,
    `init_room_id` varchar(64) DEFAULT NULL,
    `recv_user_id` varchar(64) DEFAULT NULL,
    `recv_room_id` varchar(64) DEFAULT NULL,
    `extends` varchar(1024) DEFAULT NULL,
    `status` int DEFAULT NULL,
    `start_at` datetime DEFAULT NULL,
    `stop_at` datetime DEFAULT NULL,
    `created_at` datetime DEFAULT NULL,
    `updated_at` datetime DEFAULT NULL,
    PRIMARY KEY (`id`),
    UNIQUE KEY `sid` (`sid`),
    KEY `idx_init_room` (`init_room_id`),
    KEY `idx_recv_room` (`recv_room_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `items` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `created_at` datetime DEFAULT NULL,
    `updated_at` datetime DEFAULT NULL,
    `deleted_at` datetime DEFAULT NULL,
    `live_id` varchar(64) DEFAULT NULL,
    `item_id` varchar(64) DEFAULT NULL,
    `order` int unsigned DEFAULT NULL,
    `title` varchar(64) DEFAULT NULL,
    `tags` varchar(128) DEFAULT NULL,
    `thumbnail` varchar(255) DEFAULT NULL,
    `link` varchar(255) DEFAULT NULL,
    `current_price` varchar(64) DEFAULT NULL,
    `origin_price` varchar(64) DEFAULT NULL,
    `status` int unsigned DEFAULT NULL,
    `record_id` int unsigned DEFAULT NULL,
    `extends` varchar(1024) DEFAULT NULL,
    PRIMARY KEY (`id`),
    KEY `idx_live_status` (`live_id`, `status`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `item_demonstrate` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `live_id` varchar(255) DEFAULT NULL,
    `item_id` varchar(255) DEFAULT NULL,
    `updated_at` datetime DEFAULT NULL,
    PRIMARY KEY (`id`),
    UNIQUE KEY `uix_live` (`live_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `item_demonstrate_log` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `live_id` varchar(255) DEFAULT NULL,
    `item_id` varchar(255) DEFAULT NULL,
    `start` datetime DEFAULT NULL,
    `end` datetime DEFAULT NULL,
    `fname` varchar(255) DEFAULT NULL,
    `status` int DEFAULT NULL,
    `format` int DEFAULT NULL,
    `expireDays` int DEFAULT NULL,
    `persistentID` varchar(255) DEFAULT NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `stats_single_live` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `live_id` varchar(255) DEFAULT NULL,
    `biz_id` varchar(255) DEFAULT NULL,
    `user_id` varchar(64) DEFAULT NULL,
    `type` int DEFAULT NULL,
    `count` int DEFAULT 0,
    `updated_at` datetime DEFAULT NULL,
    PRIMARY KEY (`id`),
    UNIQUE KEY `uix_type_live_user_biz` (`type`, `live_id`, `user_id`, `biz_id`),
    KEY `idx_live_user` (`live_id`, `user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `admin_user` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `user_name` varchar(255) DEFAULT NULL,
    `user_id` varchar(255) DEFAULT NULL,
    `password` varchar(255) DEFAULT NULL,
    `description` varchar(255) DEFAULT NULL,
    PRIMARY KEY (`id`),
    UNIQUE KEY `uix_user` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `censor_config` (
    `id` int unsigned NOT NULL,
    `enable` BOOLEAN DEFAULT FALSE,
    `interval` int DEFAULT NULL,
    `pulp` BOOLEAN DEFAULT FALSE,
    `terror` BOOLEAN DEFAULT FALSE,
    `politician` BOOLEAN DEFAULT FALSE,
    `ads` BOOLEAN DEFAULT FALSE,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `operation_log` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `user_id` varchar(30) NOT NULL DEFAULT '',
    `ip` varchar(30) DEFAULT NULL,
    `method` varchar(10) DEFAULT NULL,
    `url` varchar(1024) DEFAULT NULL,
    `args` varchar(1024) DEFAULT NULL,
    `status_code` int NOT NULL DEFAULT 0,
    `created_at` timestamp NULL DEFAULT NULL,
    PRIMARY KEY (`id`),
    KEY `idx_user` (`user_id`, `created_at`)
) ENGINE=InnoDB AUTO_INCREMENT=10 DEFAULT CHARSET=utf8mb4;

CREATE TABLE `live_censor` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `live_id` varchar(255) DEFAULT NULL,
    `job_id` varchar(255) DEFAULT NULL,
    `pulp` BOOLEAN DEFAULT FALSE,
    `terror` BOOLEAN DEFAULT FALSE,
    `politician` BOOLEAN DEFAULT FALSE,
    `ads` BOOLEAN DEFAULT FALSE,
    `interval` int DEFAULT NULL,
    PRIMARY KEY (`id`),
    KEY `idx_live_job` (`live_id`, `job_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `censor_image` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `url` varchar(255) NOT NULL,
    `job_id` varchar(255) NOT NULL,
    `created_at` int DEFAULT NULL,
    `suggestion` varchar(255) DEFAULT NULL,
    `pulp` varchar(255) DEFAULT FALSE,
    `terror` varchar(255) DEFAULT FALSE,
    `politician` varchar(255) DEFAULT FALSE,
    `ads` varchar(255) DEFAULT FALSE,
    `live_id` varchar(255) DEFAULT NULL,
    `is_review` int DEFAULT 0,
    `review_answer` int DEFAULT NULL,
    `review_user_id` varchar(255) DEFAULT NULL,
    `review_time` datetime DEFAULT NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `live_like` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `live_id` varchar(64) NOT NULL COMMENT 'live room id',
    `user_id` varchar(64) NOT NULL COMMENT 'user id; empty for the room total',
    `count` int NOT NULL COMMENT 'number of likes',
    `created_at` datetime DEFAULT NULL,
    `updated_at` datetime DEFAULT NULL,
    PRIMARY KEY (`id`),
    UNIQUE KEY `live_user` (`live_id`, `user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `live_gift` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `biz_id` varchar(64) NOT NULL COMMENT 'idempotency key towards the payment service',
    `live_id` varchar(64) NOT NULL COMMENT 'live room id',
    `user_id` varchar(64) NOT NULL COMMENT 'sender',
    `anchor_id` varchar(64) NOT NULL COMMENT 'anchor at send time',
    `gift_id` int NOT NULL COMMENT 'gift id',
    `amount` int NOT NULL DEFAULT 0 COMMENT 'amount',
    `status` int NOT NULL DEFAULT 0 COMMENT '0 pending, 1 paid, 2 failed',
    `created_at` datetime DEFAULT NULL,
    `updated_at` datetime DEFAULT NULL,
    PRIMARY KEY (`id`),
    UNIQUE KEY `uix_biz` (`biz_id`),
    KEY `idx_live_user` (`live_id`, `user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `gift_config` (
    `id` int unsigned NOT NULL AUTO_INCREMENT,
    `gift_id` int NOT NULL COMMENT 'business id of the gift',
    `type` int NOT NULL DEFAULT 0 COMMENT 'category',
    `name` varchar(64) NOT NULL COMMENT 'name',
    `amount` int NOT NULL COMMENT 'price; 0 means a custom amount',
    `img` varchar(512) NOT NULL DEFAULT '' COMMENT 'image',
    `animation_type` int NOT NULL DEFAULT 0 COMMENT 'animation type',
    `animation_img` varchar(512) NOT NULL DEFAULT '' COMMENT 'animation image',
    `order` int NOT NULL DEFAULT 0 COMMENT 'ascending display order',
    `created_at` datetime DEFAULT NULL,
    `updated_at` datetime DEFAULT NULL,
    `deleted_at` datetime DEFAULT NULL,
    `extends` varchar(1024) DEFAULT NULL,
    PRIMARY KEY (`id`),
    UNIQUE KEY `uid_gift_id` (`gift_id`),
    KEY `idx_type_order` (`type`, `order`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE `live_like_flush` (
    `id` int unsigned NOT NULL,
    `last_update_time` int unsigned NOT NULL,
    PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO `live_entities` (`live_id`, `title`, `notice`, `cover_url`, `extends`, `anchor_id`,
    `status`, `pk_id`, `online_count`, `start_at`, `end_at`, `chat_id`, `push_url`,
    `last_heartbeat_at`, `created_at`, `updated_at`, `deleted_at`, `stop_reason`,
    `unreview_censor_count`, `last_censor_time`)
VALUES ('1547812358724816896', '直播间 🎉', 'notice', 'http://cover', '{"k":"v"}', 'anchor-1',
    1, '', 0, '2023-11-15 06:13:20', NULL, 1234567890123, 'rtmp://push/x',
    '2023-11-15 06:23:20', '2023-11-15 06:00:00', '2023-11-15 06:23:20', NULL, '', 2, 1700000600),
       ('1547812358724816897', 'old room', '', '', 'null', 'anchor-2',
    2, '', 0, NULL, '2023-11-14 10:00:00', 0, '', NULL, '2023-11-14 09:00:00',
    '2023-11-14 10:00:00', '2023-11-14 11:00:00', 'censor', 0, NULL);

INSERT INTO `live_users` (`user_id`, `nick`, `avatar`, `extends`, `im_userid`, `im_username`,
    `im_password`, `created_at`, `updated_at`)
VALUES ('anchor-1', '主播', 'http://avatar', '{"vip":"1"}', 7001, 'qlanchor-1', 'abcdefgh',
    '2023-11-15 05:00:00', '2023-11-15 05:00:00'),
       ('viewer-1', 'viewer', '', NULL, NULL, NULL, NULL, '2023-11-15 05:30:00', NULL);

INSERT INTO `stats_single_live` (`live_id`, `biz_id`, `user_id`, `type`, `count`, `updated_at`)
VALUES ('1547812358724816896', '', 'viewer-1', 6, 42, '2023-11-15 06:20:00');

INSERT INTO `admin_user` (`user_name`, `user_id`, `password`, `description`)
VALUES ('admin', 'admin-1', 'secret', 'operator');

INSERT INTO `operation_log` (`user_id`, `ip`, `method`, `url`, `args`, `status_code`, `created_at`)
VALUES ('admin-1', '10.0.0.1', 'POST', '/admin/censor/config', '{}', 200, '2023-11-15 06:30:00');

INSERT INTO `censor_config` (`id`, `enable`, `interval`, `pulp`, `terror`, `politician`, `ads`)
VALUES (1, TRUE, 20, TRUE, FALSE, FALSE, FALSE);

INSERT INTO `gift_config` (`gift_id`, `type`, `name`, `amount`, `img`, `order`, `created_at`)
VALUES (1, 1, 'rose', 10, 'http://rose', 1, '2023-11-01 00:00:00');

INSERT INTO `live_gift` (`biz_id`, `live_id`, `user_id`, `anchor_id`, `gift_id`, `amount`,
    `status`, `created_at`, `updated_at`)
VALUES ('1547812358724816999', '1547812358724816896', 'viewer-1', 'anchor-1', 1, 10, 1,
    '2023-11-15 06:15:00', '2023-11-15 06:15:01');

INSERT INTO `live_like_flush` (`id`, `last_update_time`) VALUES (1, 1700000000);
