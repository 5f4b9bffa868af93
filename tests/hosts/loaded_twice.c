/* loaded_twice EXTENSION MARKER ORDER
 *
 * procsql twice in one process: linked (procsql_register on connection A)
 * and loaded as an extension (SELECT load_extension(EXTENSION) on
 * connection B, what `.load` does), in ORDER "register-first" or
 * "load-first". Prints each connection's instance_id and collector_pid and
 * what each sees of one exec of /bin/true MARKER; waits (WAIT first, WAIT
 * second) after the first and the second way in, so that the test counts
 * the BPF objects this process holds, then (WAIT b_closed) after closing
 * B, and (WAIT all_closed) after closing A. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "procsql.h"

/* host_common.c */
void die(const char *fmt, ...);
void say(const char *fmt, ...);
void wait_for(const char *name);
sqlite3 *open_memory(void);
void register_or_die(sqlite3 *db, const char *what);
void close_or_die(sqlite3 *db);
char *query_text(sqlite3 *db, const char *sql, const char *param);
char *stat_text(sqlite3 *db, const char *name);
void run_true(const char *arg);
long long count_marked(sqlite3 *db, const char *tag);

static void load_by_sql(sqlite3 *db, const char *extension) {
  char *v;
  if (sqlite3_enable_load_extension(db, 1) != SQLITE_OK) {
    die("sqlite3_enable_load_extension: %s", sqlite3_errmsg(db));
  }
  v = query_text(db, "SELECT load_extension(?)", extension); /* dies with SQLite's message */
  free(v);
  sqlite3_enable_load_extension(db, 0);
}

static void show(sqlite3 *db, const char *name) {
  char *id = stat_text(db, "instance_id");
  char *pid = stat_text(db, "collector_pid");
  say("%s.instance_id=%s", name, id);
  say("%s.collector_pid=%s", name, pid);
  free(id);
  free(pid);
}

int main(int argc, char **argv) {
  const char *extension, *marker;
  int register_first;
  sqlite3 *a, *b;
  if (argc != 4) {
    fprintf(stderr, "usage: loaded_twice EXTENSION MARKER register-first|load-first\n");
    return 2;
  }
  extension = argv[1];
  marker = argv[2];
  register_first = strcmp(argv[3], "register-first") == 0;
  say("pid=%d", (int)getpid());

  a = open_memory();
  b = open_memory();
  /* A is the linked library's connection, B the extension's. */
  if (register_first) {
    register_or_die(a, "A");
  } else {
    load_by_sql(b, extension);
  }
  say("mode.first=%d", procsql_mode());
  wait_for("first");
  if (register_first) {
    load_by_sql(b, extension);
  } else {
    register_or_die(a, "A");
  }
  say("mode.second=%d", procsql_mode());
  show(a, "A");
  show(b, "B");
  run_true(marker);
  say("A.marked=%lld", count_marked(a, marker));
  say("B.marked=%lld", count_marked(b, marker));
  wait_for("second");

  close_or_die(b);
  say("mode.b_closed=%d", procsql_mode());
  show(a, "A.after_b");
  wait_for("b_closed");

  close_or_die(a);
  say("mode.all_closed=%d", procsql_mode());
  wait_for("all_closed");
  return 0;
}
