-- The reference schema (db/mysql/0001_init.sql) in SQLite types: the same tables, columns,
-- unique keys and indexes. Index names are prefixed with the table name because SQLite index
-- names are global. DATETIME columns are TEXT holding "YYYY-MM-DD HH:MM:SS" (UTC+8 wall-clock,
-- as in MySQL), declared TEXT so SQLite never coerces them.

CREATE TABLE IF NOT EXISTS live_entities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    live_id TEXT DEFAULT NULL,
    title TEXT DEFAULT NULL,
    notice TEXT DEFAULT NULL,
    cover_url TEXT DEFAULT NULL,
    extends TEXT DEFAULT NULL,
    anchor_id TEXT DEFAULT NULL,
    status INTEGER DEFAULT NULL,
    pk_id TEXT DEFAULT NULL,
    online_count INTEGER DEFAULT NULL,
    start_at TEXT DEFAULT NULL,
    end_at TEXT DEFAULT NULL,
    chat_id INTEGER DEFAULT NULL,
    push_url TEXT DEFAULT NULL,
    rtmp_play_url TEXT DEFAULT NULL,
    flv_play_url TEXT DEFAULT NULL,
    hls_play_url TEXT DEFAULT NULL,
    last_heartbeat_at TEXT DEFAULT NULL,
    created_at TEXT DEFAULT NULL,
    updated_at TEXT DEFAULT NULL,
    deleted_at TEXT DEFAULT NULL,
    stop_reason TEXT DEFAULT '',
    stop_user_id TEXT DEFAULT '',
    stop_at TEXT DEFAULT NULL,
    unreview_censor_count INTEGER DEFAULT NULL,
    last_censor_time INTEGER DEFAULT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS live_entities_live_id ON live_entities (live_id);
CREATE INDEX IF NOT EXISTS live_entities_idx_status_deleted_at ON live_entities (status, deleted_at);
CREATE INDEX IF NOT EXISTS live_entities_idx_anchor_deleted_at ON live_entities (anchor_id, deleted_at);

CREATE TABLE IF NOT EXISTS live_mic_entities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    live_id TEXT DEFAULT NULL,
    user_id TEXT DEFAULT NULL,
    mic INTEGER DEFAULT NULL,
    camera INTEGER DEFAULT NULL,
    status INTEGER DEFAULT NULL,
    extends TEXT DEFAULT NULL,
    created_at TEXT DEFAULT NULL,
    updated_at TEXT DEFAULT NULL,
    deleted_at TEXT DEFAULT NULL
);
CREATE INDEX IF NOT EXISTS live_mic_entities_idx_live ON live_mic_entities (live_id, deleted_at);
CREATE INDEX IF NOT EXISTS live_mic_entities_idx_user ON live_mic_entities (user_id, deleted_at);

CREATE TABLE IF NOT EXISTS live_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT DEFAULT NULL,
    nick TEXT DEFAULT NULL,
    avatar TEXT DEFAULT NULL,
    extends TEXT DEFAULT NULL,
    im_userid INTEGER DEFAULT NULL,
    im_username TEXT DEFAULT NULL,
    im_password TEXT DEFAULT NULL,
    created_at TEXT DEFAULT NULL,
    updated_at TEXT DEFAULT NULL,
    deleted_at TEXT DEFAULT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS live_users_user_id ON live_users (user_id);
CREATE INDEX IF NOT EXISTS live_users_idx_im_userid ON live_users (im_userid);

CREATE TABLE IF NOT EXISTS live_room_user_entities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    live_id TEXT DEFAULT NULL,
    user_id TEXT DEFAULT NULL,
    status INTEGER DEFAULT NULL,
    heart_beat_at TEXT DEFAULT NULL,
    created_at TEXT DEFAULT NULL,
    updated_at TEXT DEFAULT NULL,
    deleted_at TEXT DEFAULT NULL
);
CREATE INDEX IF NOT EXISTS live_room_user_entities_idx_live ON live_room_user_entities (live_id);
CREATE INDEX IF NOT EXISTS live_room_user_entities_idx_user ON live_room_user_entities (user_id);

CREATE TABLE IF NOT EXISTS relay_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sid TEXT DEFAULT NULL,
    init_user_id TEXT DEFAULT NULL,
    init_room_id TEXT DEFAULT NULL,
    recv_user_id TEXT DEFAULT NULL,
    recv_room_id TEXT DEFAULT NULL,
    extends TEXT DEFAULT NULL,
    status INTEGER DEFAULT NULL,
    start_at TEXT DEFAULT NULL,
    stop_at TEXT DEFAULT NULL,
    created_at TEXT DEFAULT NULL,
    updated_at TEXT DEFAULT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS relay_sessions_sid ON relay_sessions (sid);
CREATE INDEX IF NOT EXISTS relay_sessions_idx_init_room ON relay_sessions (init_room_id);
CREATE INDEX IF NOT EXISTS relay_sessions_idx_recv_room ON relay_sessions (recv_room_id);

CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT DEFAULT NULL,
    updated_at TEXT DEFAULT NULL,
    deleted_at TEXT DEFAULT NULL,
    live_id TEXT DEFAULT NULL,
    item_id TEXT DEFAULT NULL,
    `order` INTEGER DEFAULT NULL,
    title TEXT DEFAULT NULL,
    tags TEXT DEFAULT NULL,
    thumbnail TEXT DEFAULT NULL,
    link TEXT DEFAULT NULL,
    current_price TEXT DEFAULT NULL,
    origin_price TEXT DEFAULT NULL,
    status INTEGER DEFAULT NULL,
    record_id INTEGER DEFAULT NULL,
    extends TEXT DEFAULT NULL
);
CREATE INDEX IF NOT EXISTS items_idx_live_status ON items (live_id, status);

CREATE TABLE IF NOT EXISTS item_demonstrate (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    live_id TEXT DEFAULT NULL,
    item_id TEXT DEFAULT NULL,
    updated_at TEXT DEFAULT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS item_demonstrate_uix_live ON item_demonstrate (live_id);

CREATE TABLE IF NOT EXISTS item_demonstrate_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    live_id TEXT DEFAULT NULL,
    item_id TEXT DEFAULT NULL,
    `start` TEXT DEFAULT NULL,
    `end` TEXT DEFAULT NULL,
    fname TEXT DEFAULT NULL,
    status INTEGER DEFAULT NULL,
    format INTEGER DEFAULT NULL,
    expireDays INTEGER DEFAULT NULL,
    persistentID TEXT DEFAULT NULL
);

CREATE TABLE IF NOT EXISTS stats_single_live (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    live_id TEXT DEFAULT NULL,
    biz_id TEXT DEFAULT NULL,
    user_id TEXT DEFAULT NULL,
    type INTEGER DEFAULT NULL,
    count INTEGER DEFAULT 0,
    updated_at TEXT DEFAULT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS stats_single_live_uix_type_live_user_biz
    ON stats_single_live (type, live_id, user_id, biz_id);
CREATE INDEX IF NOT EXISTS stats_single_live_idx_live_user ON stats_single_live (live_id, user_id);

CREATE TABLE IF NOT EXISTS admin_user (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_name TEXT DEFAULT NULL,
    user_id TEXT DEFAULT NULL,
    password TEXT DEFAULT NULL,
    description TEXT DEFAULT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS admin_user_uix_user ON admin_user (user_id);

CREATE TABLE IF NOT EXISTS censor_config (
    id INTEGER NOT NULL PRIMARY KEY,
    enable INTEGER DEFAULT 0,
    `interval` INTEGER DEFAULT NULL,
    pulp INTEGER DEFAULT 0,
    terror INTEGER DEFAULT 0,
    politician INTEGER DEFAULT 0,
    ads INTEGER DEFAULT 0
);

-- AUTOINCREMENT starts after the largest id ever used; seeding sqlite_sequence reproduces the
-- reference's AUTO_INCREMENT=10 for a fresh table.
CREATE TABLE IF NOT EXISTS operation_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL DEFAULT '',
    ip TEXT DEFAULT NULL,
    method TEXT DEFAULT NULL,
    url TEXT DEFAULT NULL,
    args TEXT DEFAULT NULL,
    status_code INTEGER NOT NULL DEFAULT 0,
    created_at TEXT DEFAULT NULL
);
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'operation_log', 9
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'operation_log');
CREATE INDEX IF NOT EXISTS operation_log_idx_user ON operation_log (user_id, created_at);

CREATE TABLE IF NOT EXISTS live_censor (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    live_id TEXT DEFAULT NULL,
    job_id TEXT DEFAULT NULL,
    pulp INTEGER DEFAULT 0,
    terror INTEGER DEFAULT 0,
    politician INTEGER DEFAULT 0,
    ads INTEGER DEFAULT 0,
    `interval` INTEGER DEFAULT NULL
);
CREATE INDEX IF NOT EXISTS live_censor_idx_live_job ON live_censor (live_id, job_id);

CREATE TABLE IF NOT EXISTS censor_image (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    job_id TEXT NOT NULL,
    created_at INTEGER DEFAULT NULL,
    suggestion TEXT DEFAULT NULL,
    pulp TEXT DEFAULT '0',
    terror TEXT DEFAULT '0',
    politician TEXT DEFAULT '0',
    ads TEXT DEFAULT '0',
    live_id TEXT DEFAULT NULL,
    is_review INTEGER DEFAULT 0,
    review_answer INTEGER DEFAULT NULL,
    review_user_id TEXT DEFAULT NULL,
    review_time TEXT DEFAULT NULL
);

CREATE TABLE IF NOT EXISTS live_like (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    live_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    created_at TEXT DEFAULT NULL,
    updated_at TEXT DEFAULT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS live_like_live_user ON live_like (live_id, user_id);

CREATE TABLE IF NOT EXISTS live_gift (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    biz_id TEXT NOT NULL,
    live_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    anchor_id TEXT NOT NULL,
    gift_id INTEGER NOT NULL,
    amount INTEGER NOT NULL DEFAULT 0,
    status INTEGER NOT NULL DEFAULT 0,
    created_at TEXT DEFAULT NULL,
    updated_at TEXT DEFAULT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS live_gift_uix_biz ON live_gift (biz_id);
CREATE INDEX IF NOT EXISTS live_gift_idx_live_user ON live_gift (live_id, user_id);

CREATE TABLE IF NOT EXISTS gift_config (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    gift_id INTEGER NOT NULL,
    type INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    amount INTEGER NOT NULL,
    img TEXT NOT NULL DEFAULT '',
    animation_type INTEGER NOT NULL DEFAULT 0,
    animation_img TEXT NOT NULL DEFAULT '',
    `order` INTEGER NOT NULL DEFAULT 0,
    created_at TEXT DEFAULT NULL,
    updated_at TEXT DEFAULT NULL,
    deleted_at TEXT DEFAULT NULL,
    extends TEXT DEFAULT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS gift_config_uid_gift_id ON gift_config (gift_id);
CREATE INDEX IF NOT EXISTS gift_config_idx_type_order ON gift_config (type, `order`);

CREATE TABLE IF NOT EXISTS live_like_flush (
    id INTEGER NOT NULL PRIMARY KEY,
    last_update_time INTEGER NOT NULL
);
