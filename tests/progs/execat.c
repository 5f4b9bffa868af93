/* execat DIR NAME ARG0 [ARGS...]
 * execat --fd FILE ARG0 [ARGS...]
 *
 * Calls execveat(2) directly (glibc has no wrapper before 2.34, and Python
 * none at all): the first form opens DIR (O_PATH) as descriptor 9 and runs
 * execveat(9, NAME, argv, environ, 0), so the kernel names the program
 * "/dev/fd/9/NAME"; the second opens FILE as descriptor 9 and runs
 * execveat(9, "", argv, environ, AT_EMPTY_PATH), as fexecve(3) does
 * ("/dev/fd/9"). For the tests of failed execs: on failure it prints the
 * error and exits with the errno (on success the program runs instead). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  int by_fd = argc > 1 && strcmp(argv[1], "--fd") == 0;
  int first = 3; /* ARG0 */
  if (argc < first + 1) {
    fprintf(stderr, "usage: execat DIR NAME ARG0 [ARGS...] | execat --fd FILE ARG0 [ARGS...]\n");
    return 100;
  }
  const char *path = argv[by_fd ? 2 : 1];
  int fd = open(path, by_fd ? O_RDONLY : (O_PATH | O_DIRECTORY));
  if (fd < 0) {
    perror("execat: open");
    return 101;
  }
  if (fd != 9) {
    if (dup2(fd, 9) < 0) {
      perror("execat: dup2");
      return 101;
    }
    close(fd);
  }
  const char *name = by_fd ? "" : argv[2];
  syscall(SYS_execveat, 9, name, &argv[first], environ, by_fd ? AT_EMPTY_PATH : 0);
  int err = errno;
  fprintf(stderr, "execat: execveat: %s\n", strerror(err));
  return err;
}
