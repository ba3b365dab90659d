"""`detect` task: the task contract, standing in for the analytics (see stage.py)."""

import sys

sys.dont_write_bytecode = True  # nothing may appear in a release that its manifest does not list

import stage  # noqa: E402

stage.main()
