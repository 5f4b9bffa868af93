/* seccomp_exec PROGRAM [ARGS...]
 *
 * Sets no_new_privs (prctl(PR_SET_NO_NEW_PRIVS, 1)), installs a seccomp
 * filter that allows every system call (one BPF_RET|BPF_K SECCOMP_RET_ALLOW)
 * and execs PROGRAM with ARGS (execvp: PROGRAM is looked up in PATH). The
 * new image runs with seccomp mode 2 (filter) and no_new_privs 1, which the
 * test expects in its process_events row. Exits 126 when the filter cannot
 * be installed, 127 when the exec fails. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: seccomp_exec PROGRAM [ARGS...]\n");
    return 2;
  }
  struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog prog = {.len = 1, .filter = allow};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    fprintf(stderr, "seccomp_exec: PR_SET_NO_NEW_PRIVS: %s\n", strerror(errno));
    return 126;
  }
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) {
    fprintf(stderr, "seccomp_exec: PR_SET_SECCOMP: %s\n", strerror(errno));
    return 126;
  }
  execvp(argv[1], argv + 1);
  fprintf(stderr, "seccomp_exec: %s: %s\n", argv[1], strerror(errno));
  return 127;
}
