/* stale_mark MARKER: a thread killed inside execveat, then a new process with
 * the same pid that calls plain execve (tests/integration/test_exec_marks.py).
 *
 * The kernel copies execveat's path from user memory after the syscall's entry
 * tracepoint has fired; a path on a page registered with userfaultfd (which
 * nobody serves) keeps the call waiting there until the process is killed, so
 * it never reaches the syscall's exit. Then ns_last_pid steers the next fork
 * to the same pid (tried a few times: other processes may take it first), and
 * that process execs `/bin/true MARKER` with execve. A mark keyed by the tid
 * and left behind by the killed call would make that exec read as execveat.
 *
 * Prints "victim PID", then "reused PID" once the pid came back; exits 0 when
 * the exec ran, 2 when the pid could not be reused, 3 on a setup failure. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int blocked_in_execveat(pid_t pid) {
    char path[64], buf[64] = {0};
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return atoi(buf) == SYS_execveat;
}

static void victim(void) {
    int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
    if (uffd < 0) {
        perror("userfaultfd");
        _exit(3);
    }
    struct uffdio_api api = {.api = UFFD_API};
    if (ioctl(uffd, UFFDIO_API, &api) != 0) {
        perror("UFFDIO_API");
        _exit(3);
    }
    long page = sysconf(_SC_PAGESIZE);
    char *mem = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct uffdio_register reg = {.range = {.start = (unsigned long)mem, .len = (unsigned long)page},
                                  .mode = UFFDIO_REGISTER_MODE_MISSING};
    if (mem == MAP_FAILED || ioctl(uffd, UFFDIO_REGISTER, &reg) != 0) {
        perror("UFFDIO_REGISTER");
        _exit(3);
    }
    char *argv[] = {"true", NULL};
    syscall(SYS_execveat, AT_FDCWD, mem, argv, NULL, 0); /* waits on the fault */
    _exit(3);
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 3;
    pid_t v = fork();
    if (v == 0)
        victim();
    for (int i = 0; i < 5000 && !blocked_in_execveat(v); i++)
        usleep(1000);
    if (!blocked_in_execveat(v)) {
        fprintf(stderr, "the victim never blocked in execveat\n");
        kill(v, SIGKILL);
        return 3;
    }
    printf("victim %d\n", (int)v);
    fflush(stdout);
    kill(v, SIGKILL);
    waitpid(v, NULL, 0);

    for (int attempt = 0; attempt < 50; attempt++) {
        FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
        if (!f) {
            perror("ns_last_pid");
            return 3;
        }
        fprintf(f, "%d", (int)v - 1);
        fclose(f);
        pid_t r = fork();
        if (r == 0) {
            if (getpid() != v)
                _exit(1);
            char *args[] = {"true", argv[1], NULL};
            execve("/bin/true", args, NULL);
            _exit(3);
        }
        int st = 0;
        waitpid(r, &st, 0);
        if (r == v && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            printf("reused %d\n", (int)r);
            return 0;
        }
    }
    fprintf(stderr, "pid %d was not reused in 50 tries\n", (int)v);
    return 2;
}
