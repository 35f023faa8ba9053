"""The instructor's side of the kit: intake, grading, results (see README.md)."""

import sys

# jsonschema, which nbgrader validates notebooks with, imports rfc3987_syntax where it is
# installed, only to check the "iri" string format, which no schema nbgrader or the kit
# validates against uses; building that package's grammar takes 1.5 s of CPU in every
# process that imports nbgrader, and so in every grading worker, on a core its kernel
# needs. Without it jsonschema leaves that format unchecked.
sys.modules.setdefault("rfc3987_syntax", None)
