"""A test that cannot run is Skipped outside CI and a failure under CI=true,
for every kind of test ctest runs, and ctest never reports a skip as Passed:

  * GoogleTest binaries: PROCSQL_UNAVAILABLE() (tests/unit/unavailable.h)
    skips or, under CI=true, fails; a binary with a skipped test exits 77
    (tests/unit/unit_main.cpp), ctest's SKIP_RETURN_CODE;
  * Python modules: procsql_test.unavailable() skips or fails, and
    run_unittest.py exits 77 when something was skipped and nothing failed;
  * the fuzzer is registered even without clang++ (tests/fuzz/run.sh then
    exits 77, or 1 under CI=true).

And no test skips any other way: a bare GTEST_SKIP or skipTest would pass
silently under CI.
"""

import json
import os
import re
import subprocess
import unittest

from procsql_test import (BUILD_DIR, SOURCE_DIR, ProcsqlTestCase, require_tool,
                          write_file)

TESTS_DIR = os.path.join(SOURCE_DIR, "tests")
INTEGRATION_DIR = os.path.join(TESTS_DIR, "integration")
NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]

# Ways to skip that ignore CI=true. Only the helpers may use them.
RAW_SKIP = re.compile(r"GTEST_SKIP|skipTest\(|unittest\.skip|SkipTest|skipIf|skipUnless")
RAW_SKIP_ALLOWED = {os.path.join("unit", "unavailable.h"),
                    os.path.join("integration", "procsql_test.py")}

# A Python test module with one test that cannot run (procsql_test.unavailable)
# and one that passes, or fails when FAIL is in the environment.
SKIPPING_MODULE = """
import os
import unittest
from procsql_test import unavailable

class Skipping(unittest.TestCase):
    def test_cannot_run_here(self):
        unavailable(self, "a precondition this test lacks")

    def test_runs(self):
        if os.environ.get("FAIL"):
            self.fail("FAIL is set")
"""


def env_without_ci(**extra):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(extra)
    return env


def ctest_tests():
    """{name: test} from `ctest --show-only=json-v1` in the build directory,
    each with its "command" and a "props" dict."""
    p = subprocess.run(["ctest", "--show-only=json-v1"], cwd=BUILD_DIR,
                       capture_output=True, check=True)
    out = {}
    for t in json.loads(p.stdout)["tests"]:
        t["props"] = {prop["name"]: prop["value"] for prop in t.get("properties", [])}
        out[t["name"]] = t
    return out


def ctest_file_entry(name, command, props):
    """add_test and set_tests_properties lines of a CTestTestfile.cmake."""
    def arg(value):
        if isinstance(value, list):
            value = ";".join(value)
        return "[==[%s]==]" % value
    lines = ["add_test(%s %s)" % (arg(name), " ".join(arg(c) for c in command))]
    if props:
        lines.append("set_tests_properties(%s PROPERTIES %s)" % (
            arg(name), " ".join("%s %s" % (k, arg(v)) for k, v in sorted(props.items()))))
    return "\n".join(lines) + "\n"


class SkipReportTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        self.ctest = require_tool(self, "ctest")
        self.setpriv = require_tool(self, "setpriv")
        self.tests = ctest_tests()

    def unit_binary(self, name):
        return self.tests["unit." + name]["command"][0]

    def test_no_skip_that_ignores_ci(self):
        found = {}
        for sub in ("unit", "integration", "fuzz"):
            for root, _, files in os.walk(os.path.join(TESTS_DIR, sub)):
                for f in files:
                    path = os.path.join(root, f)
                    rel = os.path.relpath(path, TESTS_DIR)
                    if not f.endswith((".py", ".cpp", ".h")) or path == os.path.abspath(__file__):
                        continue
                    if rel in RAW_SKIP_ALLOWED:
                        continue
                    with open(path, encoding="utf-8", errors="replace") as fh:
                        n = len(RAW_SKIP.findall(fh.read()))
                    if n:
                        found[rel] = n
        self.assertEqual(found, {}, "skips that ignore CI=true (use PROCSQL_UNAVAILABLE()"
                         " or procsql_test.unavailable()), by file")

    def test_gtest_skip_exits_77_and_fails_under_ci(self):
        """proc_connector_test's kernel tests need root: as uid 65534 they
        are skipped (exit 77), and under CI=true they fail (exit 1)."""
        cmd = [self.setpriv] + NOBODY + [self.unit_binary("proc_connector_test"),
                                         "--gtest_filter=ProcConnectorKernel.*"]
        local = subprocess.run(cmd, env=env_without_ci(), capture_output=True, text=True)
        self.assertEqual(local.returncode, 77, local.stdout + local.stderr)
        self.assertRegex(local.stdout, r"\[  SKIPPED \] \d+ tests?, listed below")
        self.assertNotIn("[  FAILED  ]", local.stdout)
        ci = subprocess.run(cmd, env=env_without_ci(CI="true"), capture_output=True, text=True)
        self.assertEqual(ci.returncode, 1, ci.stdout + ci.stderr)
        self.assertRegex(ci.stdout, r"cannot run \(CI=true, so this is a failure, not a skip\)\s+needs root")
        self.assertNotIn("[  SKIPPED ]", ci.stdout)

    def test_gtest_without_skips_exits_0(self):
        r = subprocess.run([self.unit_binary("proc_connector_test"), "--gtest_filter=-ProcConnectorKernel.*"],
                           env=env_without_ci(), capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_ctest_registration(self):
        """Every unit and Python test and the fuzzer are registered with the
        exit code of a skip (the fuzzer even where clang++ is missing)."""
        wrong = {}
        for name, t in self.tests.items():
            kind = name.split(".")[0]
            if kind in ("unit", "integration", "integration_audit", "fuzz"):
                if t["props"].get("SKIP_RETURN_CODE") != 77:
                    wrong[name] = t["props"].get("SKIP_RETURN_CODE")
            if kind in ("integration", "integration_audit"):
                self.assertEqual(t["command"][:2], ["/usr/bin/python3", "run_unittest.py"], name)
        self.assertEqual(wrong, {}, "tests without SKIP_RETURN_CODE 77")
        self.assertIn("fuzz.audit_record", self.tests)
        self.assertIn("unit.proc_connector_test", self.tests)
        self.assertIn("integration.test_burst", self.tests)

    def test_ctest_reports_skips_as_skipped(self):
        """The registered commands, run by ctest with their registered
        properties where each must skip (a unit test as uid 65534, a Python
        module with a test that cannot run, the fuzzer without clang++): each
        is Skipped, never Passed; under CI=true each is Failed; and a failing
        test next to a skipped one is Failed."""
        d = self.tmpdir()
        os.chmod(d, 0o755)
        write_file(os.path.join(d, "skipping_module.py"), SKIPPING_MODULE)
        unit = self.tests["unit.proc_connector_test"]
        py = self.tests["integration.test_burst"]
        fuzz = self.tests["fuzz.audit_record"]
        py_env = py["props"]["ENVIRONMENT"] + ["PYTHONPATH=" + d]
        keep = ("SKIP_RETURN_CODE", "WORKING_DIRECTORY", "ENVIRONMENT")

        def props(t, **override):
            out = {k: v for k, v in t["props"].items() if k in keep}
            out.update(override)
            return out

        entries = [
            ("unit", [self.setpriv] + NOBODY + unit["command"] + ["--gtest_filter=ProcConnectorKernel.*"],
             props(unit)),
            ("python", py["command"][:-1] + ["skipping_module"], props(py, ENVIRONMENT=py_env)),
            ("python_failing", py["command"][:-1] + ["skipping_module"],
             props(py, ENVIRONMENT=py_env + ["FAIL=1"])),
            ("fuzz", fuzz["command"][:1] + ["1"],
             props(fuzz, ENVIRONMENT=["PROCSQL_FUZZ_CXX=/nonexistent/clang++",
                                      "PROCSQL_FUZZ_DIR=" + os.path.join(d, "fuzz")])),
        ]
        write_file(os.path.join(d, "CTestTestfile.cmake"),
                   "".join(ctest_file_entry(*e) for e in entries))
        for ci, want in ((False, {"unit": "Skipped", "python": "Skipped", "fuzz": "Skipped",
                                  "python_failing": "Failed"}),
                         (True, {"unit": "Failed", "python": "Failed", "fuzz": "Failed",
                                 "python_failing": "Failed"})):
            with self.subTest(ci=ci):
                env = env_without_ci(**({"CI": "true"} if ci else {}))
                r = subprocess.run([self.ctest, "--output-on-failure"], cwd=d, env=env,
                                   capture_output=True, text=True, timeout=300)
                got = dict(re.findall(r"Test +#\d+: (\w+) \.+\**(\w+)", r.stdout))
                self.assertEqual(got, want, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
