/* memfd_exec NAME SRC ARG0 [ARGS...]
 *
 * Copies the ELF file SRC into memfd_create(NAME), moves it to fd 9 and runs
 * it with fexecve(3). /proc/PID/exe of the new program reads
 * "/memfd:NAME (deleted)", which is what the test expects in `path`. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: memfd_exec NAME SRC ARG0 [ARGS...]\n");
    return 2;
  }
  int mfd = memfd_create(argv[1], 0);
  if (mfd < 0) {
    perror("memfd_exec: memfd_create");
    return 1;
  }
  int src = open(argv[2], O_RDONLY | O_CLOEXEC);
  if (src < 0) {
    perror("memfd_exec: open");
    return 1;
  }
  char buf[65536];
  for (;;) {
    ssize_t n = read(src, buf, sizeof buf);
    if (n < 0) {
      perror("memfd_exec: read");
      return 1;
    }
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(mfd, buf + off, (size_t)(n - off));
      if (w < 0) {
        perror("memfd_exec: write");
        return 1;
      }
      off += w;
    }
  }
  close(src);
  if (mfd != 9) {
    if (dup2(mfd, 9) < 0) {
      perror("memfd_exec: dup2");
      return 1;
    }
    close(mfd);
  }
  fexecve(9, &argv[3], environ);
  perror("memfd_exec: fexecve");
  return 1;
}
