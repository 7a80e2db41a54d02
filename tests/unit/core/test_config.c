/* Tests of the configuration loader through its public API: load, validate, merge, expand, dump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"

/* The smallest valid file: the mandatory sections with their required keys. */
#define ACCOUNT "account:\n  access_key: AK1\n  secret_key: SK1\n"
#define HTTPQ "httpq:\n  addr: \":8099\"\n"
#define AUTH                                                                                       \
    "auth:\n  jwt_key: 0123456789abcdef0123456789abcdef-key\n  server:\n"                          \
    "    access_key: sak\n    secret_key: ssk\n"
#define BASE ACCOUNT HTTPQ AUTH

static const char full_yaml[] =
    "node:\n  node_id: 7\n" ACCOUNT
    "httpq:\n  addr: 0.0.0.0:8080\n  workers: 8\n  body_max: 2048\n  drain_timeout_s: 3\n"
    "  trusted_proxies: [10.0.0.1, \"192.168.0.0/16\", \"::1\"]\n"
    "auth:\n  jwt_key: 0123456789abcdef0123456789abcdef-key\n  token_max_ttl_s: 86400\n"
    "  server:\n    enable: true\n    access_key: sak\n    secret_key: ssk\n"
    "  client:\n    enable: true\n  admin:\n    enable: false\n"
    "cache:\n  type: cluster\n  addr: r0:6379\n  addrs:\n    - r1:6379\n    - r2:6379\n"
    "  password: redispw\n"
    "mysql:\n  databases:\n"
    "    - host: db1\n      port: 3307\n      username: root\n      password: dbpw1\n"
    "      database: live\n      max_idle_conns: 10\n      max_open_conns: 100\n"
    "      conn_max_life_time: 5\n      default: live\n"
    "    - host: db2\n      username: ro\n      password: dbpw2\n      database: live\n"
    "      default: live\n      read_only: true\n"
    "sqlite:\n  path: /var/lib/qnlive/q.db\n"
    "im:\n  app_id: imapp\n  endpoint: https://im.example.com\n  token: imtoken\n"
    "rtc:\n  app_id: rtcapp\n  endpoint: http://127.0.0.1:9001\n"
    "pili:\n  hub: hub1\n  room_token_expire_s: 7200\n  playback_url: https://pb.example.com\n"
    "  stream_pattern: live-%s\n  publish_url: rtmp://pub.example.com\n"
    "  publish_domain: pub.example.com\n  rtmp_play_url: rtmp://play.example.com\n"
    "  flv_play_url: https://flv.example.com\n  hls_play_url: https://hls.example.com\n"
    "  security_type: expiry\n  publish_key: pubkey\n  publish_expire_s: 1800\n"
    "  media_url: https://media.example.com\n  endpoint: http://127.0.0.1:9002\n"
    "cron:\n  single_task_node: 3\n"
    "prome:\n  client_mode: pusher\n  exporter_config:\n    listen_addr: \":9200\"\n"
    "  pusher_config:\n    url: https://push.example.com\n    job: live\n"
    "    instance: live_7\n    interval_s: 15\n"
    "callback:\n  addr: https://biz.example.com/cb\n"
    "censor:\n  callback: https://me.example.com\n  bucket: bkt\n  addr: https://cdn.example.com\n"
    "  endpoint: http://127.0.0.1:9003\n"
    "gift:\n  gift_addr: https://biz.example.com/pay\n"
    "telemetry:\n  enable: true\n  endpoint: http://127.0.0.1:9004\n"
    "live:\n  room_timeout_s: 300\n  user_timeout_s: 30\n"
    "log:\n  level: debug\n";

static err_t load(const char *yaml, const char *overlay, struct conf *c, char *err, size_t n)
{
    return conf_load_string(yaml, "qnlive.yaml", overlay, c, err, n);
}

/* Loads a file that must fail and checks the message names the file, the key and the reason. */
static void expect_bad(const char *yaml, const char *overlay, const char *want, const char *want2)
{
    struct conf c;
    char err[1024];

    assert_int_equal(load(yaml, overlay, &c, err, sizeof(err)), ERR_BAD_REQUEST);
    if (!strstr(err, want) || (want2 && !strstr(err, want2)))
        fail_msg("error '%s' lacks '%s' / '%s'", err, want, want2 ? want2 : "");
    assert_null(c.httpq.addr); /* the struct is left zeroed */
}

static void test_full_file(void **state)
{
    struct conf c;
    char err[1024];
    (void)state;

    assert_int_equal(load(full_yaml, NULL, &c, err, sizeof(err)), ERR_OK);
    assert_int_equal(c.node.node_id, 7);
    assert_string_equal(c.account.access_key, "AK1");
    assert_string_equal(c.account.secret_key, "SK1");
    assert_string_equal(c.httpq.addr, "0.0.0.0:8080");
    assert_int_equal(c.httpq.workers, 8);
    assert_int_equal(c.httpq.body_max, 2048);
    assert_int_equal(c.httpq.drain_timeout_s, 3);
    assert_int_equal(c.httpq.n_trusted_proxies, 3);
    assert_string_equal(c.httpq.trusted_proxies[1], "192.168.0.0/16");
    assert_string_equal(c.httpq.trusted_proxies[2], "::1");
    assert_string_equal(c.auth.jwt_key, "0123456789abcdef0123456789abcdef-key");
    assert_int_equal(c.auth.token_max_ttl_s, 86400);
    assert_true(c.auth.server.enable);
    assert_string_equal(c.auth.server.access_key, "sak");
    assert_string_equal(c.auth.server.secret_key, "ssk");
    assert_true(c.cache.enabled);
    assert_string_equal(c.cache.type, "cluster");
    assert_string_equal(c.cache.addr, "r0:6379");
    assert_int_equal(c.cache.n_addrs, 2);
    assert_string_equal(c.cache.addrs[0], "r1:6379");
    assert_string_equal(c.cache.addrs[1], "r2:6379");
    assert_string_equal(c.cache.password, "redispw");
    assert_string_equal(c.sqlite.path, "/var/lib/qnlive/q.db");
    assert_true(c.im.enabled);
    assert_string_equal(c.im.app_id, "imapp");
    assert_string_equal(c.im.endpoint, "https://im.example.com");
    assert_string_equal(c.im.token, "imtoken");
    assert_true(c.rtc.enabled);
    assert_string_equal(c.rtc.app_id, "rtcapp");
    assert_string_equal(c.rtc.endpoint, "http://127.0.0.1:9001");
    conf_free(&c);
    assert_null(c.httpq.addr);
}

static void test_full_file_databases(void **state)
{
    struct conf c;
    char err[1024];
    (void)state;

    assert_int_equal(load(full_yaml, NULL, &c, err, sizeof(err)), ERR_OK);
    assert_true(c.mysql.enabled);
    assert_int_equal(c.mysql.n_databases, 2);
    const struct conf_db *a = &c.mysql.databases[0], *b = &c.mysql.databases[1];
    assert_string_equal(a->host, "db1");
    assert_int_equal(a->port, 3307);
    assert_string_equal(a->username, "root");
    assert_string_equal(a->password, "dbpw1");
    assert_string_equal(a->database, "live");
    assert_int_equal(a->max_idle_conns, 10);
    assert_int_equal(a->max_open_conns, 100);
    assert_int_equal(a->conn_max_life_time, 5);
    assert_string_equal(a->name, "live");
    assert_false(a->read_only);
    assert_string_equal(b->host, "db2");
    assert_int_equal(b->port, 3306);
    assert_int_equal(b->conn_max_life_time, 3600);
    assert_int_equal(b->max_open_conns, 0);
    assert_true(b->read_only);
    conf_free(&c);
}

static void test_full_file_other_sections(void **state)
{
    struct conf c;
    char err[1024];
    (void)state;

    assert_int_equal(load(full_yaml, NULL, &c, err, sizeof(err)), ERR_OK);
    assert_true(c.pili.enabled);
    assert_string_equal(c.pili.hub, "hub1");
    assert_int_equal(c.pili.room_token_expire_s, 7200);
    assert_string_equal(c.pili.playback_url, "https://pb.example.com");
    assert_string_equal(c.pili.stream_pattern, "live-%s");
    assert_string_equal(c.pili.publish_url, "rtmp://pub.example.com");
    assert_string_equal(c.pili.publish_domain, "pub.example.com");
    assert_string_equal(c.pili.rtmp_play_url, "rtmp://play.example.com");
    assert_string_equal(c.pili.flv_play_url, "https://flv.example.com");
    assert_string_equal(c.pili.hls_play_url, "https://hls.example.com");
    assert_string_equal(c.pili.security_type, "expiry");
    assert_string_equal(c.pili.publish_key, "pubkey");
    assert_int_equal(c.pili.publish_expire_s, 1800);
    assert_string_equal(c.pili.media_url, "https://media.example.com");
    assert_string_equal(c.pili.endpoint, "http://127.0.0.1:9002");
    assert_int_equal(c.cron.single_task_node, 3);
    assert_true(c.prome.enabled);
    assert_string_equal(c.prome.client_mode, "pusher");
    assert_string_equal(c.prome.listen_addr, ":9200");
    assert_string_equal(c.prome.push_url, "https://push.example.com");
    assert_string_equal(c.prome.push_job, "live");
    assert_string_equal(c.prome.push_instance, "live_7");
    assert_int_equal(c.prome.push_interval_s, 15);
    assert_string_equal(c.callback.addr, "https://biz.example.com/cb");
    assert_true(c.censor.enabled);
    assert_string_equal(c.censor.callback, "https://me.example.com");
    assert_string_equal(c.censor.bucket, "bkt");
    assert_string_equal(c.censor.addr, "https://cdn.example.com");
    assert_string_equal(c.censor.endpoint, "http://127.0.0.1:9003");
    assert_true(c.gift.enabled);
    assert_string_equal(c.gift.gift_addr, "https://biz.example.com/pay");
    assert_true(c.telemetry.enable);
    assert_string_equal(c.telemetry.endpoint, "http://127.0.0.1:9004");
    assert_int_equal(c.live.room_timeout_s, 300);
    assert_int_equal(c.live.user_timeout_s, 30);
    assert_string_equal(c.log.level, "debug");
    conf_free(&c);
}

static void test_defaults(void **state)
{
    struct conf c;
    char err[1024];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    (void)state;

    assert_int_equal(load(BASE, NULL, &c, err, sizeof(err)), ERR_OK);
    assert_int_equal(c.node.node_id, 0);
    assert_int_equal(c.httpq.workers, cpus < 1 ? 8 : cpus > 32 ? 256 : 8 * cpus);
    assert_int_equal(c.httpq.body_max, 1048576);
    assert_int_equal(c.httpq.drain_timeout_s, 10);
    assert_int_equal(c.httpq.n_trusted_proxies, 0);
    assert_int_equal(c.auth.token_max_ttl_s, 2592000); /* 30 days */
    assert_true(c.auth.server.enable); /* W-2: on unless explicitly false */
    assert_false(c.cache.enabled);
    assert_string_equal(c.cache.type, "");
    assert_int_equal(c.cache.n_addrs, 0);
    assert_false(c.mysql.enabled);
    assert_int_equal(c.mysql.n_databases, 0);
    assert_string_equal(c.sqlite.path, "data/qnlive.db");
    assert_false(c.im.enabled);
    assert_string_equal(c.im.token, "");
    assert_false(c.rtc.enabled);
    assert_string_equal(c.rtc.endpoint, "https://rtc.qiniuapi.com");
    assert_false(c.pili.enabled);
    assert_string_equal(c.pili.endpoint, "https://pili.qiniuapi.com");
    assert_string_equal(c.pili.security_type, "none");
    assert_string_equal(c.pili.hub, "");
    assert_int_equal(c.cron.single_task_node, 0);
    assert_false(c.prome.enabled);
    assert_string_equal(c.callback.addr, "");
    assert_false(c.censor.enabled);
    assert_string_equal(c.censor.endpoint, "http://ai.qiniuapi.com");
    assert_false(c.gift.enabled);
    assert_false(c.telemetry.enable);
    assert_string_equal(c.telemetry.endpoint, "https://niucube-api.qiniu.com");
    assert_int_equal(c.live.room_timeout_s, 600);
    assert_int_equal(c.live.user_timeout_s, 20);
    assert_string_equal(c.log.level, "info");
    conf_free(&c);
}

static void test_empty_and_null_values_take_defaults(void **state)
{
    struct conf c;
    char err[1024];
    (void)state;

    /* `im:` (null section) is absent as in viper; an empty string takes the key's default */
    assert_int_equal(
        load(BASE "im:\nlog:\n  level: \"\"\nrtc:\n  endpoint: ~\n", NULL, &c, err, sizeof(err)),
        ERR_OK);
    assert_false(c.im.enabled);
    assert_string_equal(c.log.level, "info");
    assert_true(c.rtc.enabled);
    assert_string_equal(c.rtc.endpoint, "https://rtc.qiniuapi.com");
    conf_free(&c);
}

static void test_overlay_merge(void **state)
{
    struct conf c;
    char err[1024];
    const char *main_yaml = BASE "node:\n  node_id: 1\n"
                                 "cache:\n  type: cluster\n  addrs: [a:1, b:2, c:3]\n"
                                 "rtc:\n  app_id: app1\n  endpoint: http://x\n";
    /* keys match case-insensitively; a list replaces the whole list; maps merge */
    const char *overlay = "NODE:\n  Node_ID: 5\n"
                          "Cache:\n  ADDRS: [z:9]\n"
                          "rtc:\n  app_id: app2\n"
                          "im:\n  app_id: i\n  endpoint: e\n  token: t\n";
    (void)state;

    assert_int_equal(load(main_yaml, overlay, &c, err, sizeof(err)), ERR_OK);
    assert_int_equal(c.node.node_id, 5);
    assert_string_equal(c.cache.type, "cluster");
    assert_int_equal(c.cache.n_addrs, 1);
    assert_string_equal(c.cache.addrs[0], "z:9");
    assert_string_equal(c.rtc.app_id, "app2");
    assert_string_equal(c.rtc.endpoint, "http://x"); /* kept from the main file */
    assert_true(c.im.enabled);
    assert_string_equal(c.im.token, "t");
    assert_string_equal(c.account.access_key, "AK1");
    conf_free(&c);
}

static void test_overlay_scalar_over_map_is_ignored(void **state)
{
    struct conf c;
    char err[1024];
    (void)state;

    /* the reference drops a non-map that would replace a map (with a logged error) */
    assert_int_equal(
        load(BASE "rtc:\n  app_id: keep\n", "rtc: 5\nnode:\n  node_id: 9\n", &c, err, sizeof(err)),
        ERR_OK);
    assert_string_equal(c.rtc.app_id, "keep");
    assert_int_equal(c.node.node_id, 9);
    conf_free(&c);
}

static void test_overlay_errors_name_the_overlay(void **state)
{
    (void)state;
    expect_bad(BASE, "node:\n  node_id: 5000\n", "overlay: node.node_id: 5000 out of range 0..1023",
               "line 2");
    expect_bad(BASE, "node: [", "overlay: line", NULL);
}

static void test_env_expansion(void **state)
{
    struct conf c;
    char err[1024];
    (void)state;

    setenv("QNLIVE_T_AK", "env-ak", 1);
    setenv("QNLIVE_T_NODE", "12", 1);
    setenv("QNLIVE_T_EMPTY", "", 1);
    assert_int_equal(
        load("account:\n  access_key: ${QNLIVE_T_AK}\n  secret_key: a$$b$c${QNLIVE_T_EMPTY}\n"
             "node:\n  node_id: \"${QNLIVE_T_NODE}\"\n" HTTPQ AUTH
             "cache:\n  type: cluster\n  addrs:\n    - x-${QNLIVE_T_AK}-y\n",
             NULL, &c, err, sizeof(err)),
        ERR_OK);
    assert_string_equal(c.account.access_key, "env-ak");
    assert_string_equal(c.account.secret_key, "a$b$c");
    assert_int_equal(c.node.node_id, 12);
    assert_string_equal(c.cache.addrs[0], "x-env-ak-y");
    conf_free(&c);
    unsetenv("QNLIVE_T_AK");
    unsetenv("QNLIVE_T_NODE");
    unsetenv("QNLIVE_T_EMPTY");
}

static void test_env_errors(void **state)
{
    (void)state;
    unsetenv("QNLIVE_T_UNSET");
    expect_bad(ACCOUNT HTTPQ AUTH "im:\n  app_id: a\n  endpoint: e\n  token: ${QNLIVE_T_UNSET}\n",
               NULL, "qnlive.yaml: im.token: environment variable QNLIVE_T_UNSET is not set",
               "line 14");
    expect_bad(BASE "callback:\n  addr: ${unterminated\n", NULL, "callback.addr: bad variable",
               NULL);
    expect_bad(BASE "callback:\n  addr: ${1X}\n", NULL, "callback.addr: bad variable", NULL);
    /* a variable set to "" leaves a required value empty */
    setenv("QNLIVE_T_EMPTY", "", 1);
    expect_bad("account:\n  access_key: ${QNLIVE_T_EMPTY}\n  secret_key: s\n" HTTPQ AUTH, NULL,
               "qnlive.yaml: account.access_key: missing required value", NULL);
    unsetenv("QNLIVE_T_EMPTY");
}

static void test_weak_typing(void **state)
{
    struct conf c;
    char err[1024];
    (void)state;

    assert_int_equal(load(BASE "mysql:\n  databases:\n    - host: h\n      port: \"3310\"\n"
                               "      database: d\n      read_only: \"true\"\n"
                               "httpq:\n  addr: \":1\"\n  trusted_proxies: \"10.0.0.1, 10.0.0.2\"\n"
                               "telemetry:\n  enable: False\n",
                          NULL, &c, err, sizeof(err)),
                     ERR_BAD_REQUEST); /* httpq twice: duplicate key */
    assert_non_null(strstr(err, "httpq: duplicate key"));
    assert_int_equal(load(ACCOUNT AUTH "mysql:\n  databases:\n    - host: h\n      port: \"3310\"\n"
                                       "      database: d\n      read_only: \"true\"\n"
                                       "httpq:\n  addr: \":1\"\n"
                                       "  trusted_proxies: \"10.0.0.1, 10.0.0.2\"\n"
                                       "telemetry:\n  enable: False\n",
                          NULL, &c, err, sizeof(err)),
                     ERR_OK);
    assert_int_equal(c.mysql.databases[0].port, 3310);
    assert_true(c.mysql.databases[0].read_only);
    assert_int_equal(c.httpq.n_trusted_proxies, 2);
    assert_string_equal(c.httpq.trusted_proxies[1], "10.0.0.2");
    assert_false(c.telemetry.enable);
    conf_free(&c);
}

static void test_unknown_keys(void **state)
{
    (void)state;
    expect_bad(BASE "foo:\n  x: 1\n", NULL, "qnlive.yaml: foo: unknown key 'foo'", "line 11");
    expect_bad(BASE "node:\n  node_id: 1\n  foo: 2\n", NULL,
               "qnlive.yaml: node.foo: unknown key 'foo'", NULL);
    expect_bad(ACCOUNT HTTPQ AUTH "    extra: 1\n", NULL, "auth.server.extra: unknown key 'extra'",
               NULL);
    expect_bad(BASE "mysql:\n  databases:\n    - host: h\n      database: d\n      hots: x\n", NULL,
               "mysql.databases[0].hots: unknown key 'hots'", NULL);
    expect_bad(BASE "cache_config:\n  type: node\n", NULL, "unknown key 'cache_config'",
               "use 'cache'");
    /* a dotted key is not a path */
    expect_bad(BASE "\"node.node_id\": 3\n", NULL, "unknown key 'node.node_id'", NULL);
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect_bad(BASE "node:\n  node_id: abc\n", NULL,
               "qnlive.yaml: node.node_id: 'abc' is not an integer", NULL);
    expect_bad(BASE "node:\n  node_id: 1.5\n", NULL, "node.node_id: '1.5' is not an integer", NULL);
    expect_bad(BASE "node: 5\n", NULL, "qnlive.yaml: node: expected a map", NULL);
    expect_bad(BASE "telemetry:\n  enable: maybe\n", NULL,
               "telemetry.enable: 'maybe' is not a boolean", NULL);
    expect_bad(BASE "callback:\n  addr: [a, b]\n", NULL,
               "callback.addr: expected a string, got a list", NULL);
    expect_bad(BASE "cache:\n  type: cluster\n  addrs:\n    x: 1\n", NULL,
               "cache.addrs: expected a list", NULL);
    expect_bad(BASE "mysql:\n  databases:\n    host: h\n", NULL, "mysql.databases: expected a list",
               NULL);
    expect_bad(BASE "mysql:\n  databases:\n    - h\n", NULL, "mysql.databases[0]: expected a map",
               NULL);
}

static void test_out_of_range(void **state)
{
    (void)state;
    expect_bad(BASE "node:\n  node_id: 2048\n", NULL,
               "qnlive.yaml: node.node_id: 2048 out of range 0..1023", "line 12");
    expect_bad(BASE "node:\n  node_id: -1\n", NULL, "node.node_id: -1 out of range 0..1023", NULL);
    expect_bad(BASE "cron:\n  single_task_node: 1024\n", NULL,
               "cron.single_task_node: 1024 out of range 0..1023", NULL);
    expect_bad(BASE "mysql:\n  databases:\n    - host: h\n      database: d\n      port: 70000\n",
               NULL, "mysql.databases[0].port: 70000 out of range 1..65535", NULL);
    expect_bad(BASE "httpq:\n  body_max: 10\n", NULL, "duplicate key", NULL);
    expect_bad(ACCOUNT AUTH "httpq:\n  addr: \":1\"\n  body_max: 10\n", NULL,
               "httpq.body_max: 10 out of range 1024..", NULL);
    expect_bad(ACCOUNT AUTH "httpq:\n  addr: \":1\"\n  workers: 5000\n", NULL,
               "httpq.workers: 5000 out of range 0..1024", NULL);
    expect_bad(BASE "node:\n  node_id: 99999999999999999999\n", NULL, "is not an integer", NULL);
}

static void test_missing_required(void **state)
{
    (void)state;
    expect_bad(HTTPQ AUTH, NULL, "qnlive.yaml: account.access_key: missing required value", NULL);
    expect_bad("account:\n  access_key: a\n" HTTPQ AUTH, NULL,
               "qnlive.yaml: account.secret_key: missing required value", NULL);
    expect_bad(ACCOUNT HTTPQ, NULL,
               "qnlive.yaml: auth.jwt_key: missing required value (no default key is shipped; set "
               "a random secret of at least 32 bytes)",
               NULL);
    expect_bad(ACCOUNT AUTH, NULL, "qnlive.yaml: httpq.addr: missing required value", NULL);
    expect_bad(ACCOUNT AUTH "httpq:\n  workers: 2\n", NULL, "httpq.addr: missing required value",
               NULL);
    expect_bad(ACCOUNT HTTPQ "auth:\n  jwt_key: k\n", NULL,
               "auth.server.access_key: missing required value", NULL);
    expect_bad(ACCOUNT HTTPQ "auth:\n  jwt_key: k\n  server:\n    access_key: a\n", NULL,
               "auth.server.secret_key: missing required value", NULL);
    expect_bad(BASE "im:\n  app_id: a\n  endpoint: e\n", NULL, "im.token: missing required value",
               NULL);
    expect_bad(BASE "censor:\n  bucket: b\n", NULL, "censor.addr: missing required value", NULL);
    expect_bad(BASE "gift:\n  other: 1\n", NULL, "gift.other: unknown key", NULL);
    expect_bad(BASE "gift:\n  gift_addr: \"\"\n", NULL, "gift.gift_addr: missing required value",
               NULL);
    expect_bad(BASE "mysql:\n  databases: []\n", NULL,
               "mysql.databases: at least one database is required", NULL);
    expect_bad(BASE "mysql:\n  databases:\n    - database: d\n", NULL,
               "mysql.databases[0].host: missing required value", NULL);
}

static void test_server_auth_can_be_disabled(void **state)
{
    struct conf c;
    char err[1024];
    (void)state;

    assert_int_equal(load(ACCOUNT HTTPQ "auth:\n  jwt_key: jwtkey\n  server:\n    enable: false\n",
                          NULL, &c, err, sizeof(err)),
                     ERR_OK); /* a weak key loads with a warning, as existing deployments need */
    assert_false(c.auth.server.enable);
    assert_string_equal(c.auth.jwt_key, "jwtkey");
    assert_string_equal(c.auth.server.access_key, "");
    conf_free(&c);
}

static void test_section_rules(void **state)
{
    (void)state;
    expect_bad(BASE "prome:\n  client_mode: pull\n", NULL,
               "qnlive.yaml: prome.client_mode: must be exporter or pusher, got 'pull'", NULL);
    expect_bad(BASE "prome:\n  exporter_config:\n    listen_addr: \":1\"\n", NULL,
               "prome.client_mode: missing required value", NULL);
    expect_bad(BASE "prome:\n  client_mode: exporter\n", NULL,
               "prome.exporter_config.listen_addr: missing required value", NULL);
    expect_bad(BASE "prome:\n  client_mode: pusher\n  pusher_config:\n    url: u\n    job: j\n"
                    "    instance: i\n",
               NULL, "prome.pusher_config.interval_s: missing required value", NULL);
    expect_bad(BASE "cache:\n  type: redis\n", NULL,
               "qnlive.yaml: cache.type: must be node or cluster, got 'redis'", NULL);
    expect_bad(BASE "cache:\n  addr: x\n", NULL, "cache.type: missing required value", NULL);
    expect_bad(BASE "cache:\n  type: node\n", NULL, "cache.addr: missing required value", NULL);
    expect_bad(BASE "cache:\n  type: cluster\n  addr: x:1\n", NULL,
               "cache.addrs: at least one address", NULL);
    expect_bad(BASE "pili:\n  security_type: signed\n", NULL,
               "pili.security_type: must be one of none, expiry or expiry_sk", NULL);
    expect_bad(BASE "pili:\n  security_type: expiry\n", NULL,
               "pili.publish_key: missing required value", NULL);
    expect_bad(BASE "pili:\n  stream_pattern: \"%s-%n\"\n", NULL, "pili.stream_pattern", NULL);
    expect_bad(BASE "log:\n  level: loud\n", NULL, "log.level: must be one of debug, info", NULL);
    expect_bad(ACCOUNT AUTH "httpq:\n  addr: localhost\n", NULL, "httpq.addr: 'localhost' is not",
               NULL);
    expect_bad(ACCOUNT AUTH "httpq:\n  addr: \":1\"\n  trusted_proxies: [10.0.0.300]\n", NULL,
               "httpq.trusted_proxies: '10.0.0.300' is not an IP", NULL);
}

static void test_malformed_yaml(void **state)
{
    (void)state;
    expect_bad(BASE "node:\n  node_id: [1, 2\n", NULL, "qnlive.yaml: line", NULL);
    expect_bad("account:\n  access_key: a\n bad: indent\n", NULL, "qnlive.yaml: line 3", NULL);
    expect_bad(BASE "node:\n  node_id: 1\n  node_id: 2\n", NULL, "node_id: duplicate key",
               "line 13");
    expect_bad(BASE "node: &a\n  node_id: 1\ncron: *a\n", NULL, "aliases are not supported", NULL);
    expect_bad("- a\n- b\n", NULL, "the top level must be a map", NULL);
    expect_bad(BASE "---\nnode: {}\n", NULL, "only one YAML document", NULL);
    expect_bad("", NULL, "account.access_key: missing required value", NULL);
}

/* Runs conf_dump into memory; the caller frees the text. */
static char *dump_to_string(const struct conf *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);

    assert_non_null(m);
    conf_dump(c, m);
    fclose(m);
    return buf;
}

static void test_dump_masks_secrets(void **state)
{
    struct conf c;
    char err[1024];
    (void)state;

    assert_int_equal(load(full_yaml, NULL, &c, err, sizeof(err)), ERR_OK);
    char *out = dump_to_string(&c);
    const char *secrets[] = {"SK1",     "0123456789abcdef0123456789abcdef-key",
                             "ssk",     "redispw",
                             "dbpw1",   "dbpw2",
                             "imtoken", "pubkey"};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        if (strstr(out, secrets[i]))
            fail_msg("secret '%s' in dump:\n%s", secrets[i], out);
    }
    assert_non_null(strstr(out, "secret_key: \"******\""));
    assert_non_null(strstr(out, "jwt_key: \"******\""));
    assert_non_null(strstr(out, "access_key: \"AK1\""));
    assert_non_null(strstr(out, "  node_id: 7\n"));
    free(out);
    conf_free(&c);
}

static void test_dump_is_loadable_yaml(void **state)
{
    struct conf c, d;
    char err[1024];
    (void)state;

    assert_int_equal(load(full_yaml, NULL, &c, err, sizeof(err)), ERR_OK);
    char *out = dump_to_string(&c);
    if (load(out, NULL, &d, err, sizeof(err)) != ERR_OK)
        fail_msg("dump does not load: %s\n%s", err, out);
    assert_int_equal(d.mysql.n_databases, 2);
    assert_string_equal(d.mysql.databases[1].host, "db2");
    assert_true(d.mysql.databases[1].read_only);
    assert_int_equal(d.cache.n_addrs, 2);
    assert_string_equal(d.cache.addrs[1], "r2:6379");
    assert_string_equal(d.prome.push_instance, "live_7");
    assert_int_equal(d.live.user_timeout_s, 30);
    assert_string_equal(d.auth.jwt_key, "******");
    free(out);
    conf_free(&c);
    conf_free(&d);
}

static void test_dump_omits_disabled_sections(void **state)
{
    struct conf c;
    char err[1024];
    (void)state;

    assert_int_equal(load(BASE, NULL, &c, err, sizeof(err)), ERR_OK);
    char *out = dump_to_string(&c);
    assert_null(strstr(out, "\nim:"));
    assert_null(strstr(out, "\nmysql:"));
    assert_null(strstr(out, "\ncache:"));
    assert_non_null(strstr(out, "\nsqlite:\n  path: \"data/qnlive.db\"\n"));
    assert_non_null(strstr(out, "\nauth:\n"));
    assert_non_null(strstr(out, "\n  server:\n    enable: true\n"));
    assert_non_null(strstr(out, "\n  trusted_proxies: []\n"));
    struct conf d;
    if (load(out, NULL, &d, err, sizeof(err)) != ERR_OK)
        fail_msg("dump does not load: %s\n%s", err, out);
    conf_free(&d);
    free(out);
    conf_free(&c);
}

/* Writes text to a fresh temp file; returns its heap path. */
static char *write_temp(const char *text)
{
    const char *dir = getenv("TMPDIR");
    char *path = NULL;
    assert_true(asprintf(&path, "%s/qnlive-conf-XXXXXX", dir && *dir ? dir : P_tmpdir) > 0);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_conf_load_files(void **state)
{
    struct conf c;
    char err[1024];
    char *main_path = write_temp(BASE "node:\n  node_id: 1\n");
    char *ov_path = write_temp("node:\n  node_id: 2\n");
    char *bad_path = write_temp(BASE "node:\n  node_id: x\n");
    (void)state;

    assert_int_equal(conf_load(main_path, NULL, &c, err, sizeof(err)), ERR_OK);
    assert_int_equal(c.node.node_id, 1);
    conf_free(&c);
    assert_int_equal(conf_load(main_path, ov_path, &c, err, sizeof(err)), ERR_OK);
    assert_int_equal(c.node.node_id, 2);
    conf_free(&c);
    assert_int_equal(conf_load(bad_path, NULL, &c, err, sizeof(err)), ERR_BAD_REQUEST);
    assert_true(strncmp(err, bad_path, strlen(bad_path)) == 0);
    assert_non_null(strstr(err, ": node.node_id: 'x' is not an integer"));
    unlink(ov_path);
    assert_int_equal(conf_load(main_path, ov_path, &c, err, sizeof(err)), ERR_BAD_REQUEST);
    assert_non_null(strstr(err, "cannot open"));
    assert_int_equal(conf_load("", NULL, &c, err, sizeof(err)), ERR_BAD_REQUEST);
    assert_non_null(strstr(err, "empty config path"));
    unlink(main_path);
    unlink(bad_path);
    free(main_path);
    free(ov_path);
    free(bad_path);
}

static char *repo_file(const char *rel)
{
    const char *src = getenv("QNLIVE_SOURCE_DIR");
    char *path = NULL;
    assert_true(asprintf(&path, "%s/%s", src && *src ? src : QNLIVE_SOURCE_DIR, rel) > 0);
    return path;
}

static void test_repo_local_config_loads(void **state)
{
    struct conf c;
    char err[1024];
    char *path = repo_file("config/qnlive.yaml");
    (void)state;

    if (conf_load(path, NULL, &c, err, sizeof(err)) != ERR_OK)
        fail_msg("%s", err);
    assert_int_equal(c.node.node_id, 1);
    assert_string_equal(c.httpq.addr, "127.0.0.1:8099");
    assert_true(strlen(c.auth.jwt_key) >= 32);
    assert_true(c.auth.server.enable);
    assert_false(c.mysql.enabled);
    assert_false(c.cache.enabled);
    assert_false(c.im.enabled);
    assert_true(c.pili.enabled);
    assert_string_equal(c.pili.security_type, "none");
    assert_int_equal(c.cron.single_task_node, 1);
    conf_free(&c);
    free(path);
}

static void test_repo_example_config_loads(void **state)
{
    static const char *const vars[] = {"QINIU_ACCESS_KEY", "QINIU_SECRET_KEY", "QNLIVE_JWT_KEY",
                                       "QNLIVE_SERVER_AK", "QNLIVE_SERVER_SK", "MYSQL_PASSWORD",
                                       "IM_ADMIN_TOKEN",   "PILI_PUB_KEY"};
    struct conf c;
    char err[1024];
    char *path = repo_file("config/qnlive.example.yaml");
    (void)state;

    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        setenv(vars[i], "value-of-a-test-variable-long-enough-for-a-key", 1);
    if (conf_load(path, NULL, &c, err, sizeof(err)) != ERR_OK)
        fail_msg("%s", err);
    assert_true(c.mysql.enabled && c.cache.enabled && c.im.enabled && c.prome.enabled);
    assert_true(c.censor.enabled && c.gift.enabled && c.pili.enabled && c.rtc.enabled);
    assert_int_equal(c.mysql.n_databases, 2);
    assert_string_equal(c.mysql.databases[0].password,
                        "value-of-a-test-variable-long-enough-for-a-key");
    conf_free(&c);
    unsetenv("PILI_PUB_KEY");
    assert_int_equal(conf_load(path, NULL, &c, err, sizeof(err)), ERR_BAD_REQUEST);
    assert_non_null(strstr(err, "pili.publish_key: environment variable PILI_PUB_KEY is not set"));
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_full_file_databases),
        cmocka_unit_test(test_full_file_other_sections),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_empty_and_null_values_take_defaults),
        cmocka_unit_test(test_overlay_merge),
        cmocka_unit_test(test_overlay_scalar_over_map_is_ignored),
        cmocka_unit_test(test_overlay_errors_name_the_overlay),
        cmocka_unit_test(test_env_expansion),
        cmocka_unit_test(test_env_errors),
        cmocka_unit_test(test_weak_typing),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_server_auth_can_be_disabled),
        cmocka_unit_test(test_section_rules),
        cmocka_unit_test(test_malformed_yaml),
        cmocka_unit_test(test_dump_masks_secrets),
        cmocka_unit_test(test_dump_is_loadable_yaml),
        cmocka_unit_test(test_dump_omits_disabled_sections),
        cmocka_unit_test(test_conf_load_files),
        cmocka_unit_test(test_repo_local_config_loads),
        cmocka_unit_test(test_repo_example_config_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
