/* fexec [--unlink] FILE ARG0 [ARGS...]
 *
 * Opens FILE, moves the descriptor to fd 9 and runs it with fexecve(3), which
 * glibc implements as execveat(9, "", argv, envp, AT_EMPTY_PATH): the kernel
 * then names the program "/dev/fd/9" (bprm->filename) and the test expects
 * syscall "execveat", filename "/dev/fd/9" and path = the file's real path.
 * With --unlink, FILE is unlinked after it is opened and before the exec, so
 * the executed file has no name any more: path ends in " (deleted)". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  int arg = 1;
  int do_unlink = 0;
  if (arg < argc && strcmp(argv[arg], "--unlink") == 0) {
    do_unlink = 1;
    arg++;
  }
  if (argc - arg < 2) {
    fprintf(stderr, "usage: fexec [--unlink] FILE ARG0 [ARGS...]\n");
    return 2;
  }
  const char *file = argv[arg];
  int fd = open(file, O_RDONLY);
  if (fd < 0) {
    perror("fexec: open");
    return 1;
  }
  if (fd != 9) {
    if (dup2(fd, 9) < 0) {
      perror("fexec: dup2");
      return 1;
    }
    close(fd);
  }
  if (do_unlink && unlink(file) != 0) {
    perror("fexec: unlink");
    return 1;
  }
  fexecve(9, &argv[arg + 1], environ);
  perror("fexec: fexecve");
  return 1;
}
