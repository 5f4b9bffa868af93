"""The README's crontab lines (section "Scheduled queries", block "Crontab"),
rewritten to run against a build tree and a test's own procsqld.

    env, lines = readme_crontab()          # as the README has them
    t = rewrite_for_test(line, tmp, state_dir)
    t.entry    # "* * * * * root /path/build/bin/procsql query --db TMP/jobs.db ..."
    t.command  # what cron hands to /bin/sh

What is rewritten, and nothing else (the rest of each line runs as the README
gives it):
  * the schedule "*/5 * * * *" -> "* * * * *" (every minute);
  * `procsql query` -> BUILD_DIR/bin/procsql query --db TMP/jobs.db;
  * /usr/share/procsql/queries -> the repository's queries/;
  * /var/lib/procsql/jobs.db -> TMP/shell-jobs.db;
  * `.load procsql` -> `.load BUILD_DIR/procsql`;
  * /var/log/procsql/ -> TMP/log/;
  * PROCSQL_STATE_DIR=... -> the test daemon's state directory.
A line that still names an installed path after that fails the test: the
README changed in a way these tests no longer follow.

Also here, for test_jobs_cli.py and test_jobs_cron.py: run_bare() (a line's
command under `env -i`, as cron runs it), writable_dir_true() (a /bin/true
that exec_from_writable_dirs.sql reports), redirect_target() (the file a
line appends to) and osquery_log() (every line parsed).
"""

import json
import os
import re
import shutil
import subprocess

from procsql_test import BUILD_DIR, README, SOURCE_DIR

CRON_PREFIX = "*/5 * * * * root "
PROCSQL_TOOL = os.path.join(BUILD_DIR, "bin", "procsql")
QUERIES_DIR = os.path.join(SOURCE_DIR, "queries")
INSTALLED_PATHS = ("/usr/share/procsql", "/var/lib/procsql", "/var/log/procsql", "/run/procsql")


def readme_crontab(readme=README):
    """(env_lines, cron_lines): the crontab lines of the README (those that
    start with "*/5 * * * * root") and the VAR=value lines of the code block
    they are in. Raises AssertionError when the README has none."""
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    lines = [l for l in text.splitlines() if l.startswith(CRON_PREFIX)]
    if not lines:
        raise AssertionError("README.md has no crontab line starting with %r" % CRON_PREFIX)
    env = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, re.S | re.M):
        if any(l.startswith(CRON_PREFIX) for l in block.splitlines()):
            env += [l for l in block.splitlines() if re.match(r"^[A-Z_][A-Z0-9_]*=\S*$", l)]
    return env, lines


def env_lines_for_test(env, state_dir):
    """The README's VAR=value lines with PROCSQL_STATE_DIR set to state_dir
    (which the README must set)."""
    out = []
    seen = False
    for l in env:
        name = l.split("=", 1)[0]
        if name == "PROCSQL_STATE_DIR":
            l = "PROCSQL_STATE_DIR=" + state_dir
            seen = True
        out.append(l)
    if not seen:
        raise AssertionError("README.md's crontab sets no PROCSQL_STATE_DIR: %r" % env)
    return out


class TestLine:
    """One crontab line rewritten for a test (see the module doc)."""

    def __init__(self, readme_line, entry, kind):
        self.readme_line = readme_line
        self.entry = entry  # the whole crontab line: schedule, user, command
        self.kind = kind  # "procsql" (procsql query) or "sqlite3" (the shell)
        fields = entry.split(None, 6)
        self.schedule = " ".join(fields[:5])
        self.user = fields[5]
        self.command = fields[6]  # what cron runs with /bin/sh -c

    def __repr__(self):
        return "TestLine(%r)" % self.entry


def rewrite_for_test(line, tmp):
    """A README crontab line rewritten to run from the build tree with its
    files under `tmp` (a TestLine)."""
    if not line.startswith(CRON_PREFIX):
        raise AssertionError("not a README crontab line: %r" % line)
    for path in (tmp, BUILD_DIR, SOURCE_DIR):
        # cron reads '%' as a newline; the shell splits on blanks.
        if re.search(r"[\s%'\"\\$`]", path):
            raise AssertionError("path unusable in a crontab line: %r" % path)
    cmd = line[len(CRON_PREFIX):]
    kind = None
    if re.match(r"^procsql query\b", cmd):
        kind = "procsql"
        cmd = re.sub(r"^procsql query\b", PROCSQL_TOOL + " query --db " + os.path.join(tmp, "jobs.db"), cmd)
    elif re.match(r"^sqlite3\b", cmd):
        kind = "sqlite3"
        if ".load procsql" not in cmd or "/var/lib/procsql/jobs.db" not in cmd:
            raise AssertionError("the README's sqlite3 line no longer loads procsql into "
                                 "/var/lib/procsql/jobs.db: %r" % line)
        cmd = cmd.replace("/var/lib/procsql/jobs.db", os.path.join(tmp, "shell-jobs.db"))
        cmd = re.sub(r"\.load procsql\b", ".load " + os.path.join(BUILD_DIR, "procsql"), cmd)
    else:
        raise AssertionError("README crontab line runs neither procsql query nor sqlite3: %r" % line)
    cmd = cmd.replace("/usr/share/procsql/queries", QUERIES_DIR)
    cmd = cmd.replace("/var/log/procsql/", os.path.join(tmp, "log") + "/")
    for p in INSTALLED_PATHS:
        if p in cmd:
            raise AssertionError("README crontab line still names %s after the rewrite for the "
                                 "test: %r" % (p, cmd))
    return TestLine(line, "* * * * * root " + cmd, kind)


def lines_for_test(tmp, state_dir, readme=README):
    """(env lines, [TestLine]) of the README's crontab, rewritten; the
    README must have one `procsql query` line and one `sqlite3` line."""
    env, lines = readme_crontab(readme)
    out = [rewrite_for_test(l, tmp) for l in lines]
    kinds = sorted(t.kind for t in out)
    if kinds != ["procsql", "sqlite3"]:
        raise AssertionError("README.md's crontab: expected one procsql query line and one sqlite3 "
                             "line, got %r" % lines)
    return env_lines_for_test(env, state_dir), out


def bare_environment(state_dir):
    """What cron gives a job here (env -i, PATH=/usr/bin:/bin) plus the
    crontab's PROCSQL_STATE_DIR. The sanitizer pass's LD_PRELOAD and
    *SAN_OPTIONS are kept when the test runs under it: without them the stock
    sqlite3 cannot load a sanitized extension at all."""
    env = {"PATH": "/usr/bin:/bin", "PROCSQL_STATE_DIR": state_dir}
    for k in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


def run_bare(test_line, state_dir, timeout=120):
    """Runs a rewritten crontab line's command as cron does (/bin/sh -c) under
    `env -i` with bare_environment(); the CompletedProcess."""
    env_args = ["%s=%s" % kv for kv in sorted(bare_environment(state_dir).items())]
    return subprocess.run(["/usr/bin/env", "-i"] + env_args + ["/bin/sh", "-c", test_line.command],
                          cwd="/", stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)


def writable_dir_true(tmp):
    """A copy of /bin/true in TMP/bin (TMP under /tmp), which
    queries/exec_from_writable_dirs.sql reports when it runs."""
    if not tmp.startswith("/tmp/"):
        raise AssertionError("not under /tmp: " + tmp)
    os.makedirs(os.path.join(tmp, "bin"), exist_ok=True)
    path = os.path.join(tmp, "bin", "true")
    shutil.copy2(os.path.realpath("/bin/true"), path)
    os.chmod(path, 0o755)
    return path


def osquery_log(path):
    """The lines of an osquery-format log, each parsed (every line must be
    JSON: AssertionError naming the line otherwise)."""
    out = []
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                out.append(json.loads(raw))
            except ValueError as e:
                raise AssertionError("%s line %d is not JSON (%s): %r" % (path, n, e, raw))
    return out


def redirect_target(test_line):
    """The file a line's output is appended to: `>> FILE` (procsql) or the
    `cat >> FILE` of `.output '|cat >> FILE'` (sqlite3)."""
    targets = re.findall(r">>\s*([^\s'\"]+)", test_line.command)
    if len(targets) != 1:
        raise AssertionError("expected one '>> FILE' in %r" % test_line.command)
    return targets[0]
