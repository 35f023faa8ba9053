"""``./kit image``: the kit in a Linux container image, for graders whose own machine
cannot sandbox kernels (macOS, Windows without WSL): the whole grader runs in the image,
and bubblewrap sandboxes each student's kernel inside it, as on a Linux host."""
