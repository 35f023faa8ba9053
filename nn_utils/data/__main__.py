"""Fetch data sets into the cache ahead of time, to work (or grade) offline later.

    python -m nn_utils.data [mnist] [fashion_mnist] [cifar10]     (default: all three)

Each is loaded as a notebook would load it: downloaded if it can be, else the stand-in
is made; either way it lands in the cache ($NN_UTILS_CACHE_DIR, or the default folder)
and the line printed says which it is. Gradescope's setup.sh runs it at image build.
"""

from __future__ import annotations

import sys

from . import cifar10_as_stored, load_fashion_mnist, load_mnist, source_of

# cifar10_as_stored: the uint8 arrays fill the cache as well, without float64's 1.5 GB
LOADERS = {"mnist": load_mnist, "fashion_mnist": load_fashion_mnist, "cifar10": cifar10_as_stored}


def main(argv=None) -> int:
    names = (sys.argv[1:] if argv is None else argv) or list(LOADERS)
    unknown = [n for n in names if n not in LOADERS]
    if unknown:
        print(f"unknown data set(s) {', '.join(unknown)}: choose from {', '.join(LOADERS)}",
              file=sys.stderr)
        return 2
    for name in names:
        LOADERS[name]()
        print(source_of(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
