"""How a task sizes its thread pool from the cores its workflow grants (resources.cpu ->
GS_CPUS, docs/tasks.md)."""

import os
import unittest
from unittest import mock

import support  # noqa: F401  puts the task programs on sys.path

from gs_task import cpu_threads


class CPUThreadsTests(unittest.TestCase):
    def test_the_granted_cores_rounded_up_and_at_least_one(self):
        for granted, threads in (("1", 1), ("1.5", 2), ("0.25", 1), ("4", 4)):
            with mock.patch.dict(os.environ, {"GS_CPUS": granted}):
                self.assertEqual(cpu_threads(), threads, granted)

    def test_a_grant_read_from_a_manifest_instead_of_the_environment(self):
        with mock.patch.dict(os.environ, {"GS_CPUS": "4"}):
            self.assertEqual(cpu_threads(0, 1.5), 2)
            self.assertEqual(cpu_threads(0, 0), 0)

    def test_the_task_params_win_over_the_grant(self):
        with mock.patch.dict(os.environ, {"GS_CPUS": "1"}):
            self.assertEqual(cpu_threads(3), 3)

    def test_no_grant_leaves_the_library_default(self):
        with mock.patch.dict(os.environ, {}, clear=False):
            os.environ.pop("GS_CPUS", None)
            self.assertEqual(cpu_threads(), 0)
        with mock.patch.dict(os.environ, {"GS_CPUS": "lots"}):
            self.assertEqual(cpu_threads(), 0)


if __name__ == "__main__":
    unittest.main()


class PeakMemoryTests(unittest.TestCase):
    """The memory column of `gsctl status --models` is the task's own peak: a task the agent
    started must not report the agent's memory (getrusage's ru_maxrss would: Linux carries a
    process's peak from before exec, the parent's after fork or posix_spawn)."""

    def test_a_spawned_task_reports_its_own_peak_not_its_parents(self):
        import subprocess
        import sys

        ballast = b"x" * (200 << 20)  # this process, the "agent", holds 200 MiB
        tasks = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/tasks"
        code = ("import sys; sys.path.insert(0, sys.argv[1]); import gs_task; "
                "held = b'y' * (40 << 20); print(gs_task.peak_rss_mb())")
        out = subprocess.run([sys.executable, "-c", code, tasks], capture_output=True, text=True, check=True)
        peak = float(out.stdout)
        self.assertGreaterEqual(peak, 40)  # what it holds itself
        self.assertLess(peak, 150, "the task's peak includes the parent's 200 MiB")
        del ballast
