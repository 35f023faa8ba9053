"""Where each real data set is published and how to check the downloaded files.

``DATASETS`` is the one table to edit when a mirror moves.  Tests replace entries (with
``dataclasses.replace``) to point the downloader at a local HTTP server.

Checksums are the values published by the data sets' authors and used by the major
framework loaders:

* MNIST: MD5 of the four ``.gz`` files, as used by torchvision; no SHA-256 of these
  files is published by the authors, so MD5 is what there is.
* Fashion-MNIST: MD5 of the four ``.gz`` files, from Zalando Research's README (also used
  by torchvision).
* CIFAR-10: SHA-256 of ``cifar-10-python.tar.gz``, as used by Keras
  (``keras.datasets.cifar10``); the MD5 on the author's page is
  c58f30108f718f92721af3b95e74349a.
"""

from __future__ import annotations

from dataclasses import dataclass

from .integrity import Checksum


@dataclass(frozen=True)
class RemoteFile:
    filename: str
    checksum: Checksum


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    """Key used by ``source_of`` and folder name under the data and cache folders."""
    title: str
    """Name for messages."""
    mirrors: tuple[str, ...]
    """Base URLs tried in order; a file's URL is base + filename."""
    files: tuple[RemoteFile, ...]
    env_var: str
    """Environment variable that may point straight at this data set's files."""
    aliases: tuple[str, ...] = ()
    """Other folder names accepted under ``NN_UTILS_DATA_DIR`` (torchvision's layout)."""


def _md5(hexdigest: str) -> Checksum:
    return Checksum("md5", hexdigest)


MNIST = DatasetSpec(
    name="mnist",
    title="MNIST",
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    files=(
        RemoteFile("train-images-idx3-ubyte.gz", _md5("f68b3c2dcbeaaa9fbdd348bbdeb94873")),
        RemoteFile("train-labels-idx1-ubyte.gz", _md5("d53e105ee54ea40749a09fcbcd1e9432")),
        RemoteFile("t10k-images-idx3-ubyte.gz", _md5("9fb629c4189551a2d022fa330f9573f3")),
        RemoteFile("t10k-labels-idx1-ubyte.gz", _md5("ec29112dd5afa0611ce80d1b7f02629c")),
    ),
    env_var="NN_UTILS_MNIST_DIR",
    aliases=("MNIST/raw", "MNIST"),
)

FASHION_MNIST = DatasetSpec(
    name="fashion_mnist",
    title="Fashion-MNIST",
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    files=(
        RemoteFile("train-images-idx3-ubyte.gz", _md5("8d4fb7e6c68d591d4c3dfef9ec88bf0d")),
        RemoteFile("train-labels-idx1-ubyte.gz", _md5("25c81989df183df01b3e8a0aad5dffbe")),
        RemoteFile("t10k-images-idx3-ubyte.gz", _md5("bef4ecab320f06d8554ea6380940ec79")),
        RemoteFile("t10k-labels-idx1-ubyte.gz", _md5("bb300cfdad3c16e7a12a480ee83cd310")),
    ),
    env_var="NN_UTILS_FASHION_MNIST_DIR",
    aliases=("FashionMNIST/raw", "FashionMNIST", "fashion"),
)

CIFAR10 = DatasetSpec(
    name="cifar10",
    title="CIFAR-10",
    mirrors=("https://www.cs.toronto.edu/~kriz/",),
    files=(
        RemoteFile(
            "cifar-10-python.tar.gz",
            Checksum("sha256", "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"),
        ),
    ),
    env_var="NN_UTILS_CIFAR10_DIR",
    # "." accepts the archive or batches folder directly in the data folder, where
    # torchvision keeps them; the file names cannot be mistaken for another data set's.
    aliases=(".", "cifar-10", "CIFAR10"),
)

DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in (MNIST, FASHION_MNIST, CIFAR10)}


def get_spec(name: str) -> DatasetSpec:
    """The entry for ``name``; ``ValueError`` listing the valid names otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}") from None
