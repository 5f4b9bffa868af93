/* fork_host MARKER CHILD
 *
 * A host that registered procsql and queried, then forks. CHILD says what
 * the child does with the connection it inherited:
 *   query  queries (its first query starts its own collector), execs
 *          /bin/true MARKER-child, queries again, closes, exits 0;
 *   close  closes the connection without querying, exits 0;
 *   exit   exits 0 with the connection still open (exit(), not _exit()).
 * The parent waits for the child, then checks that it still sees what it
 * should (its pending exec, the child's, a new one), closes and exits 0.
 * Everything is printed as KEY=VALUE lines (child.* from the child). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "procsql.h"

/* host_common.c */
void die(const char *fmt, ...);
void say(const char *fmt, ...);
sqlite3 *open_memory(void);
void register_or_die(sqlite3 *db, const char *what);
void close_or_die(sqlite3 *db);
char *stat_text(sqlite3 *db, const char *name);
void run_true(const char *arg);
long long count_marked(sqlite3 *db, const char *tag);
void own_prog_ids(char *out, size_t size);

static char g_tag[256];

static const char *tag(const char *marker, const char *what) {
  snprintf(g_tag, sizeof g_tag, "%s-%s", marker, what);
  return g_tag;
}

static int collector_is_mine(sqlite3 *db) {
  char *pid = stat_text(db, "collector_pid");
  int mine = atol(pid) == (long)getpid();
  free(pid);
  return mine;
}

static void child(sqlite3 *db, const char *marker, const char *what) {
  char ids[4096];
  if (strcmp(what, "exit") == 0) {
    exit(0);
  }
  if (strcmp(what, "close") == 0) {
    close_or_die(db);
    say("child.mode_after_close=%d", procsql_mode());
    exit(0);
  }
  say("child.stored=%lld", count_marked(db, tag(marker, "stored")));
  run_true(tag(marker, "child"));
  say("child.child=%lld", count_marked(db, tag(marker, "child")));
  say("child.collector_is_mine=%d", collector_is_mine(db));
  say("child.mode=%d", procsql_mode());
  own_prog_ids(ids, sizeof ids);
  say("child.progs=%s", ids);
  close_or_die(db);
  say("child.mode_after_close=%d", procsql_mode());
  exit(0);
}

int main(int argc, char **argv) {
  const char *marker;
  char ids[4096];
  sqlite3 *db;
  pid_t pid;
  int status;
  if (argc != 3) {
    fprintf(stderr, "usage: fork_host MARKER query|close|exit\n");
    return 2;
  }
  marker = argv[1];
  db = open_memory();
  register_or_die(db, "parent");
  run_true(tag(marker, "stored"));
  say("parent.stored_before_fork=%lld", count_marked(db, tag(marker, "stored")));
  run_true(tag(marker, "pending")); /* still in the kernel's ring when it forks */
  own_prog_ids(ids, sizeof ids);
  say("parent.progs=%s", ids);

  pid = fork();
  if (pid < 0) {
    die("fork");
  }
  if (pid == 0) {
    child(db, marker, argv[2]);
  }
  if (waitpid(pid, &status, 0) != pid) {
    die("waitpid");
  }
  say("child_status=%s%d", WIFEXITED(status) ? "exit" : "signal",
      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
  say("parent.pending=%lld", count_marked(db, tag(marker, "pending")));
  say("parent.child=%lld", count_marked(db, tag(marker, "child")));
  run_true(tag(marker, "after"));
  say("parent.after=%lld", count_marked(db, tag(marker, "after")));
  say("parent.stored=%lld", count_marked(db, tag(marker, "stored")));
  say("parent.collector_is_mine=%d", collector_is_mine(db));
  close_or_die(db);
  say("parent.mode_after_close=%d", procsql_mode());
  return 0;
}
