"""Test-wide settings: quick mode on unless asked otherwise, no GUI backend, offline."""

import os

# Set before nbval starts any kernel: the kernels inherit this environment.
os.environ.setdefault("COURSE_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
