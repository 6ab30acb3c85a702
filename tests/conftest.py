"""Test-wide settings: quick mode on unless asked otherwise, no GUI backend, offline."""

import os

# Set before nbval starts any kernel: the kernels inherit this environment.
os.environ.setdefault("COURSE_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# Two notebook kernels run side by side (-n 2) on small CI machines: one thread each avoids
# oversubscription, which slows small-model training several times over.
os.environ.setdefault("OMP_NUM_THREADS", "1")
