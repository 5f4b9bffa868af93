/* Process creation and exit in the ways clone_events and process_exits tell
 * apart (tests/integration/test_lifecycle.py).
 *
 *   lifecycle fork MARKER        raw fork syscall (SYS_fork)     child execs /bin/true MARKER
 *   lifecycle vfork MARKER       glibc vfork() (SYS_vfork on x86_64)     "
 *   lifecycle glibcfork MARKER   glibc fork() (the clone syscall)        "
 *   lifecycle spawn MARKER       posix_spawn() (clone3 on glibc >= 2.34) "
 *   lifecycle threads N MARKER join|exit CODE|block|leaderfirst
 *        prints "pid <pid>", starts N threads, each prints "tid <tid>"; then
 *        join: they return and are joined, the process exits 0;
 *        exit: they block and the main thread calls exit(CODE) (exit_group
 *              with every thread alive);
 *        block: everything blocks after "ready" is printed (kill it);
 *        leaderfirst: the main thread calls pthread_exit first; the others
 *              return once it is a zombie, the last one ends the process
 *              (glibc: exit(0)).
 *   lifecycle threadfork MARKER
 *        a second thread prints "tid <tid>" and calls glibc fork(); the child
 *        execs /bin/true MARKER.
 *   lifecycle failclone MARKER
 *        two process creations the kernel refuses with EINVAL (CLONE_SIGHAND
 *        without CLONE_VM): clone(CLONE_SIGHAND|SIGCHLD), then
 *        clone3({.flags = CLONE_SIGHAND|CLONE_NEWNET, .exit_signal = SIGCHLD});
 *        prints "clone <ret> <errno>" and "clone3 <ret> <errno>".
 *   lifecycle setns TARGET NSTYPE MARKER
 *        setns() into TARGET: a /proc/PID/ns/KIND file if it starts with '/',
 *        else a pidfd of that pid (pidfd_open), with NSTYPE (strtoul, so 0x..
 *        works); prints "setns <ret> <errno>".
 *   lifecycle intocgroup DIR MARKER
 *        clone3({.flags = CLONE_INTO_CGROUP, .cgroup = open(DIR)}); the child
 *        execs /bin/true MARKER in that cgroup v2 directory.
 *   lifecycle leaderstatus MARKER
 *        the main thread ends with the thread-only exit syscall, status 5;
 *        a second thread waits until it is a zombie and ends with status 9,
 *        also without exit_group: wait(2) reports the leader's 5.
 *   lifecycle tree MARKER
 *        root forks a child, which forks two grandchildren (glibc fork());
 *        every process prints "node DEPTH PID PPID"; exits when all are done.
 *
 * Each creating mode prints "child PID" (the value fork & co. returned) and
 * exits with the child's exit status. MARKER only has to be in argv.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int wait_child(pid_t pid) {
    int st;
    if (waitpid(pid, &st, 0) != pid) {
        perror("waitpid");
        return 100;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void exec_true(const char *marker) {
    execl("/bin/true", "true", marker, (char *)NULL);
    _exit(127);
}

static pthread_barrier_t barrier;
static enum { T_JOIN, T_EXIT, T_BLOCK, T_LEADERFIRST } thread_mode;

/* True once the main thread (tid == pid) is a zombie: it has called
 * pthread_exit while the other threads still run. */
static int leader_is_zombie(void) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", (long)getpid());
    FILE *f = fopen(path, "r");
    if (!f)
        return 1; /* gone from /proc: certainly not running */
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static void *thread_main(void *arg) {
    (void)arg;
    printf("tid %ld\n", (long)syscall(SYS_gettid));
    fflush(stdout);
    pthread_barrier_wait(&barrier);
    if (thread_mode == T_EXIT || thread_mode == T_BLOCK)
        for (;;)
            pause();
    if (thread_mode == T_LEADERFIRST)
        while (!leader_is_zombie())
            usleep(1000);
    return NULL; /* the last thread to return ends the process with exit(0) */
}

static int threads(int n, const char *mode, int code) {
    pthread_t t[64];
    if (n < 1 || n > 64)
        return 2;
    if (strcmp(mode, "join") == 0)
        thread_mode = T_JOIN;
    else if (strcmp(mode, "exit") == 0)
        thread_mode = T_EXIT;
    else if (strcmp(mode, "block") == 0)
        thread_mode = T_BLOCK;
    else if (strcmp(mode, "leaderfirst") == 0)
        thread_mode = T_LEADERFIRST;
    else
        return 2;
    pthread_barrier_init(&barrier, NULL, (unsigned)n + 1);
    printf("pid %ld\n", (long)getpid());
    fflush(stdout);
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, thread_main, NULL) != 0)
            return 3;
    pthread_barrier_wait(&barrier); /* every thread has printed its tid */
    switch (thread_mode) {
    case T_EXIT:
        exit(code); /* exit_group with all threads alive */
    case T_BLOCK:
        printf("ready\n");
        fflush(stdout);
        for (;;)
            pause();
    case T_LEADERFIRST:
        pthread_exit(NULL); /* the main thread goes first */
    case T_JOIN:
        break;
    }
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    return 0;
}

static const char *fork_marker;

static void *fork_thread(void *arg) {
    printf("tid %ld\n", (long)syscall(SYS_gettid));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        exec_true(fork_marker);
    *(pid_t *)arg = pid;
    return NULL;
}

static pid_t thread_fork(const char *marker) {
    pthread_t t;
    pid_t pid = -1;
    fork_marker = marker;
    if (pthread_create(&t, NULL, fork_thread, &pid) != 0)
        return -1;
    pthread_join(t, NULL);
    return pid;
}

static void node(int depth) {
    printf("node %d %ld %ld\n", depth, (long)getpid(), (long)getppid());
    fflush(stdout);
}

static int tree(void) {
    node(0);
    pid_t child = fork();
    if (child < 0)
        return 4;
    if (child == 0) {
        node(1);
        pid_t g[2];
        for (int i = 0; i < 2; i++) {
            g[i] = fork();
            if (g[i] == 0) {
                node(2);
                _exit(0);
            }
        }
        int rc = 0;
        for (int i = 0; i < 2; i++)
            rc |= g[i] < 0 ? 5 : wait_child(g[i]);
        _exit(rc);
    }
    return wait_child(child);
}

static pid_t leader_tid;

static void *last_thread(void *arg) {
    (void)arg;
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", (long)leader_tid);
    for (;;) { /* until the leader is a zombie: state Z after "(comm) " */
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(stat, 1, sizeof stat - 1, f) : 0;
        if (f)
            fclose(f);
        stat[n] = 0;
        char *close = strrchr(stat, ')');
        if (!f || (close && close[1] == ' ' && close[2] == 'Z'))
            break;
        usleep(1000);
    }
    syscall(SYS_exit, 9);
    return NULL;
}

static int leader_status(void) {
    pthread_t t;
    leader_tid = (pid_t)syscall(SYS_gettid);
    if (pthread_create(&t, NULL, last_thread, NULL) != 0)
        return 3;
    syscall(SYS_exit, 5);
    return 0;
}

static int failclone(void) {
    long r = syscall(SYS_clone, (unsigned long)(CLONE_SIGHAND | SIGCHLD), 0UL, 0UL, 0UL, 0UL);
    printf("clone %ld %d\n", r, r < 0 ? errno : 0);
    if (r == 0)
        _exit(0);
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_SIGHAND | CLONE_NEWNET;
    ca.exit_signal = SIGCHLD;
    r = syscall(SYS_clone3, &ca, sizeof ca);
    printf("clone3 %ld %d\n", r, r < 0 ? errno : 0);
    if (r == 0)
        _exit(0);
    fflush(stdout);
    return 0;
}

static int do_setns(const char *target, const char *nstype) {
    int fd;
    if (target[0] == '/')
        fd = open(target, O_RDONLY | O_CLOEXEC);
    else
        fd = (int)syscall(SYS_pidfd_open, atoi(target), 0);
    if (fd < 0) {
        perror(target);
        return 3;
    }
    long r = syscall(SYS_setns, fd, (int)strtoul(nstype, NULL, 0));
    printf("setns %ld %d\n", r, r < 0 ? errno : 0);
    fflush(stdout);
    return 0;
}

static pid_t into_cgroup(const char *dir, const char *marker) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        perror(dir);
        return -1;
    }
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_INTO_CGROUP;
    ca.exit_signal = SIGCHLD;
    ca.cgroup = (unsigned long long)fd;
    fflush(stdout);
    pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
    if (pid == 0)
        exec_true(marker);
    return pid;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: lifecycle fork|vfork|glibcfork|spawn|threads|tree ...\n");
        return 2;
    }
    const char *mode = argv[1];
    const char *marker = argv[2];
    pid_t pid;
    if (strcmp(mode, "fork") == 0) {
        fflush(stdout);
        pid = (pid_t)syscall(SYS_fork);
        if (pid == 0)
            exec_true(marker);
    } else if (strcmp(mode, "vfork") == 0) {
        fflush(stdout);
        pid = vfork();
        if (pid == 0)
            exec_true(marker);
    } else if (strcmp(mode, "glibcfork") == 0) {
        fflush(stdout);
        pid = fork();
        if (pid == 0)
            exec_true(marker);
    } else if (strcmp(mode, "spawn") == 0) {
        char *args[] = {"true", (char *)marker, NULL};
        int err = posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ);
        if (err != 0) {
            fprintf(stderr, "posix_spawn: %s\n", strerror(err));
            return 3;
        }
    } else if (strcmp(mode, "threads") == 0) {
        if (argc < 5)
            return 2;
        return threads(atoi(argv[2]), argv[4], argc > 5 ? atoi(argv[5]) : 0);
    } else if (strcmp(mode, "setns") == 0) {
        if (argc < 4)
            return 2;
        return do_setns(argv[2], argv[3]);
    } else if (strcmp(mode, "intocgroup") == 0) {
        if (argc < 4)
            return 2;
        pid = into_cgroup(argv[2], argv[3]);
    } else if (strcmp(mode, "threadfork") == 0) {
        pid = thread_fork(marker);
    } else if (strcmp(mode, "failclone") == 0) {
        return failclone();
    } else if (strcmp(mode, "tree") == 0) {
        return tree();
    } else if (strcmp(mode, "leaderstatus") == 0) {
        return leader_status();
    } else {
        return 2;
    }
    if (pid < 0) {
        perror(mode);
        return 3;
    }
    printf("child %ld\n", (long)pid);
    fflush(stdout);
    return wait_child(pid);
}
