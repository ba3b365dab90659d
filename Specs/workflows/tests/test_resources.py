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
