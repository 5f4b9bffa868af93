/* burst N THREADS PROG ARG0 [ARGS...]
 *
 * Runs PROG N times, spread over THREADS worker threads (0 = one per online
 * CPU). Each run is posix_spawn(PROG, [ARG0, ARGS..., "<i>"]) followed by
 * waitpid, so every exec gets a distinct trailing index 0..N-1. Prints
 * "issued=N" on success; exits 1 if any spawn failed or any child exited
 * non-zero. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct worker {
  pthread_t thread;
  long first, count;
  long failures;
};

static const char *g_prog;
static char **g_args;
static int g_nargs;

static void *run(void *p) {
  struct worker *w = p;
  char **av = calloc((size_t)g_nargs + 2, sizeof(char *));
  char idx[32];
  if (!av) {
    w->failures = w->count;
    return NULL;
  }
  for (int i = 0; i < g_nargs; i++) av[i] = g_args[i];
  av[g_nargs] = idx;
  av[g_nargs + 1] = NULL;
  for (long i = 0; i < w->count; i++) {
    snprintf(idx, sizeof idx, "%ld", w->first + i);
    pid_t pid;
    int rc = posix_spawn(&pid, g_prog, NULL, NULL, av, environ);
    if (rc != 0) {
      fprintf(stderr, "burst: posix_spawn: %s\n", strerror(rc));
      w->failures++;
      continue;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) {
        perror("burst: waitpid");
        w->failures++;
        break;
      }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) w->failures++;
  }
  free(av);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: burst N THREADS PROG ARG0 [ARGS...]\n");
    return 2;
  }
  long n = atol(argv[1]);
  long threads = atol(argv[2]);
  if (threads <= 0) threads = sysconf(_SC_NPROCESSORS_ONLN);
  if (threads <= 0) threads = 1;
  if (n < 0) n = 0;
  g_prog = argv[3];
  g_args = &argv[4];
  g_nargs = argc - 4;
  struct worker *ws = calloc((size_t)threads, sizeof *ws);
  if (!ws) return 1;
  long next = 0;
  for (long t = 0; t < threads; t++) {
    ws[t].first = next;
    ws[t].count = n / threads + (t < n % threads ? 1 : 0);
    next += ws[t].count;
    if (pthread_create(&ws[t].thread, NULL, run, &ws[t]) != 0) {
      fprintf(stderr, "burst: pthread_create failed\n");
      return 1;
    }
  }
  long failures = 0;
  for (long t = 0; t < threads; t++) {
    pthread_join(ws[t].thread, NULL);
    failures += ws[t].failures;
  }
  free(ws);
  if (failures) {
    fprintf(stderr, "burst: %ld of %ld runs failed\n", failures, n);
    return 1;
  }
  printf("issued=%ld\n", n);
  return 0;
}
