/* What every host program of test_host_process.py shares (compiled with each
 * of them; each declares the few it uses).
 *
 * The test drives a host through its standard streams: the host prints
 * "KEY=VALUE" lines and, where the test must look at it from outside (its
 * descriptors, threads, memory, BPF objects in /proc/PID), "WAIT NAME" and
 * waits for a line on stdin. A check that fails inside the host prints
 * "FAIL ..." on stderr and exits 1. */
#define _GNU_SOURCE
#include <dirent.h>
#include <malloc.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "procsql.h"

extern char **environ;

void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "FAIL ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
}

/* "WAIT name", then a line from the test (EOF: it is gone, so are we). */
void wait_for(const char *name) {
  char line[64];
  say("WAIT %s", name);
  if (!fgets(line, sizeof line, stdin)) {
    die("stdin closed while waiting at %s", name);
  }
}

sqlite3 *open_memory(void) {
  sqlite3 *db = NULL;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
    die("sqlite3_open: %s", db ? sqlite3_errmsg(db) : "no memory");
  }
  return db;
}

void register_or_die(sqlite3 *db, const char *what) {
  char *err = NULL;
  int rc = procsql_register(db, &err);
  if (rc != SQLITE_OK) {
    die("%s: procsql_register = %d: %s (procsql_errmsg: %s)", what, rc, err ? err : "(no message)",
        procsql_errmsg());
  }
  if (err) {
    die("%s: procsql_register succeeded with a message: %s", what, err);
  }
}

void close_or_die(sqlite3 *db) {
  int rc = sqlite3_close(db);
  if (rc != SQLITE_OK) {
    die("sqlite3_close = %d", rc);
  }
}

/* The first column of the first row as text (malloc'd), NULL if no row. */
char *query_text(sqlite3 *db, const char *sql, const char *param) {
  sqlite3_stmt *st = NULL;
  char *out = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK) {
    die("prepare %s: %s", sql, sqlite3_errmsg(db));
  }
  if (param) {
    sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
  }
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const unsigned char *t = sqlite3_column_text(st, 0);
    out = strdup(t ? (const char *)t : "");
  } else if (rc != SQLITE_DONE) {
    die("step %s: %s", sql, sqlite3_errmsg(db));
  }
  sqlite3_finalize(st);
  return out;
}

long long query_int(sqlite3 *db, const char *sql, const char *param) {
  char *t = query_text(db, sql, param);
  if (!t) {
    die("no row from %s", sql);
  }
  long long v = atoll(t);
  free(t);
  return v;
}

/* A procsql_stats value as text (malloc'd). */
char *stat_text(sqlite3 *db, const char *name) {
  char *v = query_text(db, "SELECT value FROM procsql_stats WHERE name = ?", name);
  if (!v) {
    die("procsql_stats has no row %s", name);
  }
  return v;
}

/* Runs /bin/true ARG and waits for it. */
void run_true(const char *arg) {
  char *argv[] = {"true", (char *)arg, NULL};
  pid_t pid;
  int status;
  if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0) {
    die("posix_spawn /bin/true");
  }
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    die("/bin/true %s failed", arg);
  }
}

/* process_events rows whose argv holds `tag`. */
long long count_marked(sqlite3 *db, const char *tag) {
  char like[512];
  snprintf(like, sizeof like, "%%%s%%", tag);
  return query_int(db, "SELECT count(*) FROM process_events WHERE argv LIKE ?", like);
}

/* Ids of the BPF programs this process holds (bpf-prog and bpf_link
 * descriptors' fdinfo), as "id,id,..." in out. */
void own_prog_ids(char *out, size_t size) {
  DIR *d = opendir("/proc/self/fd");
  size_t used = 0;
  struct dirent *e;
  out[0] = '\0';
  if (!d) {
    return;
  }
  while ((e = readdir(d)) != NULL) {
    char path[300], target[64], line[128];
    ssize_t n;
    FILE *f;
    if (e->d_name[0] == '.') {
      continue;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
    n = readlink(path, target, sizeof target - 1);
    if (n <= 0) {
      continue;
    }
    target[n] = '\0';
    if (strcmp(target, "anon_inode:bpf-prog") != 0 && strcmp(target, "anon_inode:bpf_link") != 0) {
      continue;
    }
    snprintf(path, sizeof path, "/proc/self/fdinfo/%s", e->d_name);
    f = fopen(path, "r");
    if (!f) {
      continue;
    }
    while (fgets(line, sizeof line, f)) {
      if (strncmp(line, "prog_id:", 8) == 0 && used + 24 < size) {
        used += (size_t)snprintf(out + used, size - used, "%s%ld", used ? "," : "", strtol(line + 8, NULL, 10));
      }
    }
    fclose(f);
  }
  closedir(d);
}

/* Bytes malloc has handed out and not had back (every arena, and the
 * chunks it mmapped). */
long long heap_in_use(void) {
  struct mallinfo2 mi = mallinfo2();
  return (long long)(mi.uordblks + mi.hblkhd);
}
