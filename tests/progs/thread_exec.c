/* thread_exec OUTFILE PROG ARG0 [ARGS...]
 *
 * Starts a second thread; that (non-leader) thread writes "PID TID\n" to
 * OUTFILE and then calls execv(PROG, [ARG0, ARGS...]). The kernel makes the
 * exec'ing thread the new leader, so the new program keeps PID, while the
 * event's `tid` must be TID (the thread that called exec), not PID. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static char **g_argv;

static void *exec_thread(void *unused) {
  (void)unused;
  FILE *f = fopen(g_argv[1], "w");
  if (!f) {
    perror("thread_exec: fopen");
    _exit(1);
  }
  fprintf(f, "%ld %ld\n", (long)getpid(), (long)syscall(SYS_gettid));
  if (fclose(f) != 0) {
    perror("thread_exec: fclose");
    _exit(1);
  }
  execv(g_argv[2], &g_argv[3]);
  perror("thread_exec: execv");
  _exit(1);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: thread_exec OUTFILE PROG ARG0 [ARGS...]\n");
    return 2;
  }
  g_argv = argv;
  pthread_t t;
  if (pthread_create(&t, NULL, exec_thread, NULL) != 0) {
    fprintf(stderr, "thread_exec: pthread_create failed\n");
    return 1;
  }
  /* Never returns normally: the exec in the other thread replaces us. */
  pthread_join(t, NULL);
  return 1;
}
