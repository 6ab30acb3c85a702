"""course_lib: the small, readable package behind the transformer course notebooks.

Used by every notebook: one module per concept, in teaching order (see README.md for the course
map). Import what a notebook needs from its module, e.g. `from course_lib.tokenization import BPETokenizer`.
"""

__version__ = "0.1.0"
