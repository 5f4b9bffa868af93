/* execargs SPECFILE
 *
 * SPECFILE holds NUL-terminated strings: the program to run, then its whole
 * argv (argv[0] included). Runs execv(prog, argv) with exactly those bytes, so
 * a test can pass spaces, quotes, newlines and invalid UTF-8 without any shell
 * quoting in between. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: execargs SPECFILE\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror("execargs: fopen");
    return 1;
  }
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap + 1);
  if (!buf) return 1;
  for (;;) {
    if (len == cap) {
      cap *= 2;
      buf = realloc(buf, cap + 1);
      if (!buf) return 1;
    }
    size_t n = fread(buf + len, 1, cap - len, f);
    if (n == 0) break;
    len += n;
  }
  fclose(f);
  buf[len] = '\0';
  size_t count = 0;
  for (size_t i = 0; i < len; i++)
    if (buf[i] == '\0') count++;
  if (count < 2) {
    fprintf(stderr, "execargs: need a program and argv[0]\n");
    return 2;
  }
  char **av = calloc(count + 1, sizeof(char *));
  if (!av) return 1;
  size_t k = 0;
  for (size_t i = 0; i < len && k < count; i += strlen(buf + i) + 1) av[k++] = buf + i;
  av[k] = NULL;
  execv(av[0], &av[1]);
  perror("execargs: execv");
  return 1;
}
