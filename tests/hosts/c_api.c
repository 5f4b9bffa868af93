/* c_api
 *
 * procsql.h's calls besides procsql_register, as an agent uses them: the
 * version, settings in code (procsql_config_set/get) and procsql_mode, then
 * the same from 8 threads at once. Run with PROCSQL_CAPACITY=1000,
 * PROCSQL_MODE=attach and PROCSQL_STATE_DIR=<a directory where no procsqld
 * runs> in the environment: what the code sets must win over them.
 * Prints KEY=VALUE lines (rc.* are result codes, msg.* procsql_errmsg() or
 * procsql_register's message, errmsg.* procsql_errmsg() after a call that
 * has its own); the test checks them. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "procsql.h"

/* host_common.c */
void die(const char *fmt, ...);
void say(const char *fmt, ...);
sqlite3 *open_memory(void);
void register_or_die(sqlite3 *db, const char *what);
void close_or_die(sqlite3 *db);
long long query_int(sqlite3 *db, const char *sql, const char *param);
char *stat_text(sqlite3 *db, const char *name);

#define THREADS 8
#define THREAD_CYCLES 25

/* procsql_config_set, printing its code and message under `key`. */
static void set(const char *key, const char *name, const char *value) {
  int rc = procsql_config_set(name, value);
  say("rc.%s=%d", key, rc);
  say("msg.%s=%s", key, procsql_errmsg());
}

static void get(const char *key, const char *name, int size) {
  char buf[256];
  int rc;
  memset(buf, 'X', sizeof buf);
  rc = procsql_config_get(name, buf, size);
  say("rc.%s=%d", key, rc);
  /* (on SQLITE_ERROR buf need not have been written) */
  say("value.%s=%.*s", key, rc == SQLITE_ERROR || size <= 0 ? 0 : (int)strnlen(buf, (size_t)size), buf);
  say("msg.%s=%s", key, procsql_errmsg());
}

static void try_register(const char *key, sqlite3 *db) {
  char *err = NULL;
  int rc = procsql_register(db, &err);
  say("rc.%s=%d", key, rc);
  say("msg.%s=%s", key, err ? err : "");
  sqlite3_free(err);
}

static void show_stat(const char *key, sqlite3 *db, const char *name) {
  char *v = stat_text(db, name);
  say("stat.%s=%s", key, v);
  free(v);
}

/* ---- 8 threads at once --------------------------------------------------- */

struct worker {
  pthread_t thread;
  int index;
  int failed;
  char why[512];
  char instance_id[64];
  long long capacity;
  int own_errmsg; /* its procsql_errmsg() still its own after the others' */
};

static pthread_barrier_t g_barrier;

static void *work(void *p) {
  struct worker *w = p;
  char name[64], buf[64], expect[80];
  char *err = NULL;
  char *id;
  sqlite3 *db;
  int i, rc;

  /* Connections opened, registered, queried and closed by every thread at
   * once: collectors start and stop under each other. */
  for (i = 0; i < THREAD_CYCLES; i++) {
    db = open_memory();
    rc = procsql_register(db, &err);
    if (rc != SQLITE_OK) {
      snprintf(w->why, sizeof w->why, "cycle %d: procsql_register = %d: %s", i, rc, err ? err : "");
      w->failed = 1;
      sqlite3_free(err);
      sqlite3_close(db);
      goto out; /* (the others wait at the barriers) */
    }
    if (query_int(db, "SELECT count(*) FROM procsql_stats", NULL) <= 0) {
      snprintf(w->why, sizeof w->why, "cycle %d: procsql_stats empty", i);
      w->failed = 1;
    }
    (void)procsql_mode();
    close_or_die(db);
  }

  /* Then one connection each, all open at once: one collector. */
  db = open_memory();
  rc = procsql_register(db, &err);
  if (rc != SQLITE_OK) {
    snprintf(w->why, sizeof w->why, "procsql_register = %d: %s", rc, err ? err : "");
    w->failed = 1;
    sqlite3_free(err);
    sqlite3_close(db);
    goto out;
  }
  /* A failing call's message is this thread's, whatever the others' say
   * meanwhile (they all fail the same way at the same time). */
  snprintf(name, sizeof name, "PROCSQL_NOT_A_SETTING_%d", w->index);
  if (procsql_config_get(name, buf, sizeof buf) != SQLITE_ERROR) {
    snprintf(w->why, sizeof w->why, "procsql_config_get(%s) did not fail", name);
    w->failed = 1;
  }
  pthread_barrier_wait(&g_barrier);
  snprintf(expect, sizeof expect, "'%s'", name);
  w->own_errmsg = strstr(procsql_errmsg(), expect) != NULL;
  id = stat_text(db, "instance_id");
  snprintf(w->instance_id, sizeof w->instance_id, "%s", id);
  free(id);
  w->capacity = query_int(db, "SELECT value FROM procsql_stats WHERE name = 'process_events.capacity'", NULL);
  if (procsql_mode() != PROCSQL_MODE_EMBEDDED) {
    snprintf(w->why, sizeof w->why, "procsql_mode() = %d with a connection open", procsql_mode());
    w->failed = 1;
  }
  pthread_barrier_wait(&g_barrier);
  close_or_die(db);
  return NULL;
out:
  pthread_barrier_wait(&g_barrier);
  pthread_barrier_wait(&g_barrier);
  return NULL;
}

static void threads(void) {
  struct worker w[THREADS];
  int i, ok = 0, same = 1, own = 0;
  memset(w, 0, sizeof w);
  pthread_barrier_init(&g_barrier, NULL, THREADS);
  for (i = 0; i < THREADS; i++) {
    w[i].index = i;
    if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0) {
      die("pthread_create");
    }
  }
  for (i = 0; i < THREADS; i++) {
    pthread_join(w[i].thread, NULL);
  }
  for (i = 0; i < THREADS; i++) {
    if (w[i].failed) {
      say("threads.failure=%d: %s", i, w[i].why);
    } else {
      ok++;
    }
    same = same && strcmp(w[i].instance_id, w[0].instance_id) == 0 && w[i].instance_id[0];
    own += w[i].own_errmsg;
    say("threads.capacity.%d=%lld", i, w[i].capacity);
  }
  say("threads.ok=%d", ok);
  say("threads.one_instance=%d", same);
  say("threads.own_errmsg=%d", own);
  say("mode.after_threads=%d", procsql_mode());
}

/* Settings set from 8 threads at once while no collector runs: each call
 * succeeds, and the value is one of theirs. */
static void *set_argv_bytes(void *p) {
  char value[32];
  snprintf(value, sizeof value, "%d", 1024 * (1 + (int)(long)p));
  return (void *)(long)procsql_config_set("PROCSQL_ARGV_BYTES", value);
}

static void concurrent_sets(void) {
  pthread_t t[THREADS];
  long i, ok = 0;
  char buf[32];
  for (i = 0; i < THREADS; i++) {
    pthread_create(&t[i], NULL, set_argv_bytes, (void *)i);
  }
  for (i = 0; i < THREADS; i++) {
    void *rc;
    pthread_join(t[i], &rc);
    ok += (long)rc == SQLITE_OK;
  }
  say("concurrent_sets.ok=%ld", ok);
  procsql_config_get("PROCSQL_ARGV_BYTES", buf, sizeof buf);
  say("concurrent_sets.value=%s", buf);
  set("argv_bytes_cleared", "PROCSQL_ARGV_BYTES", NULL);
}

int main(void) {
  sqlite3 *a, *b;

  say("version=%s", procsql_version());
  say("version_number=%d", procsql_version_number());
  say("header_version_number=%d", PROCSQL_VERSION_NUMBER);
  say("mode.initial=%d", procsql_mode());
  say("rc.register_null=%d", procsql_register(NULL, NULL));
  say("errmsg.register_null=%s", procsql_errmsg());

  /* Reading settings: the environment's, unset ones, unknown names, a
   * buffer too small. */
  get("get_env_capacity", "PROCSQL_CAPACITY", 256);
  get("get_unset", "PROCSQL_THREADS", 256);
  get("get_unknown", "PROCSQL_NOPE", 256);
  get("get_short", "PROCSQL_CAPACITY", 3);

  /* The environment says attach, and no procsqld runs there. */
  a = open_memory();
  try_register("register_env_attach", a);
  say("errmsg.register_env_attach=%s", procsql_errmsg());
  say("rc.register_env_attach_no_err=%d", procsql_register(a, NULL));
  say("errmsg.register_env_attach_no_err=%s", procsql_errmsg());
  say("mode.after_failed_register=%d", procsql_mode());

  /* Refused values change nothing. */
  set("capacity_words", "PROCSQL_CAPACITY", "lots");
  get("after_capacity_words", "PROCSQL_CAPACITY", 256);
  set("capacity_too_small", "PROCSQL_CAPACITY", "8");
  set("unknown_name", "PROCSQL_NOPE", "1");
  set("backend_bad", "PROCSQL_BACKEND", "ebpf");
  set("mode_bad", "PROCSQL_MODE", "daemon");

  /* Set in code: wins over the environment. */
  set("mode_embedded", "PROCSQL_MODE", "embedded");
  set("capacity_4096", "PROCSQL_CAPACITY", "4096");
  get("after_capacity_4096", "PROCSQL_CAPACITY", 256);
  try_register("register_embedded", a);
  say("mode.running=%d", procsql_mode());
  show_stat("mode", a, "mode");
  show_stat("capacity", a, "process_events.capacity");

  /* Not while the collector runs (valid or not, set or cleared). */
  set("capacity_while_running", "PROCSQL_CAPACITY", "2048");
  set("clear_while_running", "PROCSQL_CAPACITY", NULL);
  set("bad_while_running", "PROCSQL_CAPACITY", "lots");
  get("while_running", "PROCSQL_CAPACITY", 256);
  b = open_memory();
  register_or_die(b, "second connection");
  close_or_die(b);
  say("mode.one_of_two_closed=%d", procsql_mode());
  set("capacity_one_still_open", "PROCSQL_CAPACITY", "2048");

  /* Every connection closed: allowed again. */
  close_or_die(a);
  say("mode.closed=%d", procsql_mode());
  set("capacity_after_close", "PROCSQL_CAPACITY", "2048");
  set("capacity_cleared", "PROCSQL_CAPACITY", NULL);
  get("after_clear", "PROCSQL_CAPACITY", 256);
  b = open_memory();
  register_or_die(b, "after clearing");
  show_stat("capacity_env_again", b, "process_events.capacity");
  close_or_die(b);
  say("mode.closed_again=%d", procsql_mode());

  concurrent_sets();
  set("capacity_3000", "PROCSQL_CAPACITY", "3000");
  threads();
  say("done=1");
  return 0;
}
