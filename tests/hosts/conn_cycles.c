/* conn_cycles WARMUP CYCLES anchor|no-anchor
 *
 * A host that opens and closes connections in a loop. One cycle: open
 * :memory:, procsql_register, SELECT count(*) FROM procsql_stats, close.
 *
 * anchor: one connection stays registered throughout (the collector runs
 * the whole time, each cycle shares it). no-anchor: none does, so every
 * cycle starts the collector and its close stops it (procsql_mode() is
 * checked to be NONE after each close).
 *
 * Runs WARMUP cycles, prints heap/instance figures and waits (WAIT before)
 * for the test to measure this process from outside, runs CYCLES cycles,
 * prints again and waits (WAIT after); then closes the anchor and waits
 * (WAIT end). With no-anchor each cycle also prints the ids of the BPF
 * programs its collector held (progs.I=...), for the test to check that
 * the kernel freed them all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
long long query_int(sqlite3 *db, const char *sql, const char *param);
char *stat_text(sqlite3 *db, const char *name);
long long heap_in_use(void);
void own_prog_ids(char *out, size_t size);

static int g_anchor;
static long g_cycle; /* counts warm-up and measured cycles alike */

static void cycle(long i) {
  sqlite3 *db = open_memory();
  register_or_die(db, "cycle");
  if (query_int(db, "SELECT count(*) FROM procsql_stats", NULL) <= 0) {
    die("cycle %ld: procsql_stats is empty", i);
  }
  if (!g_anchor) {
    char ids[4096];
    own_prog_ids(ids, sizeof ids);
    say("progs.%ld=%s", g_cycle++, ids);
  }
  close_or_die(db);
  if (!g_anchor && procsql_mode() != PROCSQL_MODE_NONE) {
    die("cycle %ld: procsql_mode() = %d after the last connection closed", i, procsql_mode());
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  long warmup, cycles, i;
  sqlite3 *anchor = NULL;
  double t0;
  if (argc != 4) {
    fprintf(stderr, "usage: conn_cycles WARMUP CYCLES anchor|no-anchor\n");
    return 2;
  }
  warmup = atol(argv[1]);
  cycles = atol(argv[2]);
  g_anchor = strcmp(argv[3], "anchor") == 0;
  /* No buffer for stdin: its first read would malloc one between the
   * two heap figures. */
  setvbuf(stdin, NULL, _IONBF, 0);
  say("pid=%d", (int)getpid());
  if (g_anchor) {
    char *id;
    anchor = open_memory();
    register_or_die(anchor, "anchor");
    id = stat_text(anchor, "instance_id");
    say("instance_id.start=%s", id);
    free(id);
  }
  for (i = 0; i < warmup; i++) {
    cycle(i);
  }
  say("heap.before=%lld", heap_in_use());
  say("mode.before=%d", procsql_mode());
  wait_for("before");

  t0 = now_s();
  for (i = 0; i < cycles; i++) {
    cycle(i);
  }
  say("seconds=%.3f", now_s() - t0);
  say("heap.after=%lld", heap_in_use());
  say("mode.after=%d", procsql_mode());
  if (anchor) {
    char *id = stat_text(anchor, "instance_id");
    say("instance_id.end=%s", id);
    free(id);
  }
  wait_for("after");

  if (anchor) {
    close_or_die(anchor);
  }
  say("mode.end=%d", procsql_mode());
  wait_for("end");
  return 0;
}
