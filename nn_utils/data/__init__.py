"""Data sets for the homework: real MNIST, Fashion-MNIST and CIFAR-10, or loud stand-ins.

Public API::

    from nn_utils.data import load_mnist, load_fashion_mnist, load_cifar10, load_CIFAR10, source_of

    (x_train, y_train), (x_test, y_test) = load_mnist()          # as keras.datasets.mnist.load_data()
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()  # as keras.datasets.fashion_mnist
    X_train, y_train, X_test, y_test = load_cifar10()            # as cs231n's load_CIFAR10
    X_train, y_train, X_test, y_test = load_CIFAR10("path/to/cifar-10-batches-py")
    data = get_CIFAR10_data()  # dict: X_train (49000, 3, 32, 32), X_val, X_test, y_*
    source_of("mnist")  # DataSource(kind="real" or "standin", origin, path, detail), or None

=========  =======================================  ==========================================
loader     returns                                  real files
=========  =======================================  ==========================================
MNIST      x uint8 (N, 28, 28), y uint8 (N,)        train-images-idx3-ubyte.gz,
           N = 60000 train, 10000 test              train-labels-idx1-ubyte.gz,
                                                    t10k-images-idx3-ubyte.gz,
                                                    t10k-labels-idx1-ubyte.gz
Fashion    same as MNIST                            same four names (Zalando's release)
CIFAR-10   X float64 (N, 32, 32, 3), y int64 (N,)   cifar-10-python.tar.gz, or its extracted
           N = 50000 train, 10000 test              cifar-10-batches-py/ folder (data_batch_1
                                                    .. data_batch_5, test_batch)
=========  =======================================  ==========================================

Where the loaders look, in order
--------------------------------
1. **Instructor-provided copies** (never written to, never checksum-checked: only their
   format is validated, so re-compressed or uncompressed copies work):

   * ``$NN_UTILS_MNIST_DIR``, ``$NN_UTILS_FASHION_MNIST_DIR``, ``$NN_UTILS_CIFAR10_DIR``:
     a folder holding that data set's files directly;
   * ``$NN_UTILS_DATA_DIR``: a folder with one sub-folder per data set::

         $NN_UTILS_DATA_DIR/
             mnist/          the four MNIST files (.gz or uncompressed; the spelling
                             train-images.idx3-ubyte is accepted too)
             fashion_mnist/  the four Fashion-MNIST files, same names
             cifar10/        cifar-10-python.tar.gz, or cifar-10-batches-py/, or the six
                             batch files themselves

     torchvision's layout is accepted as well (``MNIST/raw``, ``FashionMNIST/raw``,
     ``cifar-10-python.tar.gz`` or ``cifar-10-batches-py/`` directly in the folder), so
     an existing torchvision data root can be reused as is.

2. **The cache**: ``$NN_UTILS_CACHE_DIR/<name>/``, default ``~/.cache/nn_utils/<name>/``
   (``<name>`` is mnist, fashion_mnist or cifar10), holding the same files.  Files with
   the official archive names are checked against the published checksums on every load.

3. **Download** into the cache from the public mirrors in ``registry.DATASETS``, with a
   progress bar on stdout and checksum verification (a file that fails is deleted, and
   ``DatasetFileError`` is raised).  ``NN_UTILS_OFFLINE=1`` skips this step;
   ``NN_UTILS_DOWNLOAD_TIMEOUT`` (seconds, default 10) bounds each network wait.

4. **A stand-in** built locally (see ``nn_utils.data.standins``), with the real data set's
   shapes, dtypes and classes, announced by a multi-line warning on stdout (stdout, not
   stderr: nbgrader fails cells that write to stderr).  Accuracies on a stand-in are not
   comparable with the real data set: use ``source_of(name).is_real`` to choose
   thresholds.

A file that exists but is corrupt, truncated or of the wrong format raises
``DatasetFileError`` (a ``ValueError``) whose message starts with the file's path; the
loaders do not fall back to a stand-in in that case.
"""

from .cifar import load_CIFAR_batch
from .errors import DatasetFileError, DownloadError
from .loaders import cifar10_as_stored, load_CIFAR10, load_cifar10, load_fashion_mnist, load_mnist
from .provenance import DataSource, source_of
from .splits import get_CIFAR10_data

__all__ = [
    "DataSource",
    "DatasetFileError",
    "DownloadError",
    "cifar10_as_stored",
    "get_CIFAR10_data",
    "load_CIFAR10",
    "load_CIFAR_batch",
    "load_cifar10",
    "load_fashion_mnist",
    "load_mnist",
    "source_of",
]
