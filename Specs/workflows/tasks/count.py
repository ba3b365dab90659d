"""`count` task (vehicle-analysis): line crossings by direction with per-interval totals.

The same analytics as `analyze` (analytics.py) with lines only: params `lines`
(`hysteresisPixels` each) and `intervalSeconds`.
"""

import sys

sys.dont_write_bytecode = True

import analyze  # noqa: E402

if __name__ == "__main__":
    analyze.main()
