"""Tests for nn_utils.data: real-format parsing, lookup order, downloads, stand-ins.

Everything runs offline.  Real-format files are written small into tmp_path; downloads
go to an HTTP server on 127.0.0.1 started by the test; the cache is always redirected
into tmp_path.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import http.server
import io
import pickle
import socket
import struct
import tarfile
import threading

import numpy as np
import pytest

from nn_utils import data as nd
from nn_utils.data import download, provenance, registry
from nn_utils.data.idx import read_idx
from nn_utils.data.integrity import Checksum
from nn_utils.data.standins import cifar as cifar_standin
from nn_utils.data.standins import digits, fashion

MNIST_STEMS = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
ENV_VARS = (
    "NN_UTILS_DATA_DIR",
    "NN_UTILS_MNIST_DIR",
    "NN_UTILS_FASHION_MNIST_DIR",
    "NN_UTILS_CIFAR10_DIR",
    "NN_UTILS_DOWNLOAD_TIMEOUT",
    "http_proxy",
    "https_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No inherited data settings, cache in tmp_path, downloads off unless a test opts in."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NN_UTILS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NN_UTILS_OFFLINE", "1")
    monkeypatch.setattr(provenance, "_sources", {})
    monkeypatch.setattr(download, "_unreachable_hosts", set())


# ---------------------------------------------------------------- writing real formats

_IDX_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(">i2"): 0x0B,
    np.dtype(">i4"): 0x0C,
    np.dtype(">f4"): 0x0D,
    np.dtype(">f8"): 0x0E,
}


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.asarray(array)
    big = array.astype(array.dtype.newbyteorder(">")) if array.dtype.itemsize > 1 else array
    header = struct.pack(">HBB", 0, _IDX_CODES[big.dtype], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + big.tobytes()


def write_idx(path, array, *, compress=True):
    raw = idx_bytes(array)
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def tiny_mnist(seed=0, n_train=6, n_test=4):
    rng = np.random.default_rng(seed)
    return (
        (
            rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n_train, dtype=np.uint8),
        ),
        (rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8), rng.integers(0, 10, n_test, dtype=np.uint8)),
    )


def write_mnist_folder(folder, dataset, *, compress=True, dotted=False):
    folder.mkdir(parents=True, exist_ok=True)
    (x_train, y_train), (x_test, y_test) = dataset
    for stem, array in zip(MNIST_STEMS, (x_train, y_train, x_test, y_test)):
        name = stem.replace("-idx", ".idx") if dotted else stem
        write_idx(folder / (name + (".gz" if compress else "")), array, compress=compress)
    return folder


def assert_same_dataset(loaded, expected):
    (x_train, y_train), (x_test, y_test) = loaded
    (ex_train, ey_train), (ex_test, ey_test) = expected
    for got, want in ((x_train, ex_train), (y_train, ey_train), (x_test, ex_test), (y_test, ey_test)):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, want)


def cifar_batch(rng, n):
    return {
        b"batch_label": b"tiny batch",
        b"labels": [int(v) for v in rng.integers(0, 10, n)],
        b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"filenames": [b"x.png"] * n,
    }


def py2_pickle(batch):
    """A batch dict as Python 2's cPickle wrote the official files (protocol 2).

    Python 2 str objects (keys, the pixel buffer) are binary strings there, and arrays
    refer to ``numpy.core.multiarray``; Python 3's pickle cannot produce this layout.
    """

    def string(b):
        return (b"U" + bytes([len(b)]) if len(b) < 256 else b"T" + struct.pack("<i", len(b))) + b

    def integer(v):
        return b"K" + bytes([v]) if v < 256 else b"M" + struct.pack("<H", v)

    data = batch[b"data"]
    array = (
        b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
        + integer(0)
        + b"\x85"
        + string(b"b")
        + b"\x87R("
        + integer(1)
        + integer(data.shape[0])
        + integer(data.shape[1])
        + b"\x86"
        + b"cnumpy\ndtype\n"
        + string(b"u1")
        + integer(0)
        + integer(1)
        + b"\x87R"
        + b"("
        + integer(3)
        + string(b"|")
        + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xff"
        + integer(0)
        + b"tb"
        + b"\x89"
        + string(data.tobytes())
        + b"tb"
    )
    labels = b"](" + b"".join(integer(v) for v in batch[b"labels"]) + b"e"
    return (
        b"\x80\x02}("
        + string(b"batch_label")
        + string(batch[b"batch_label"])
        + string(b"data")
        + array
        + string(b"labels")
        + labels
        + b"u."
    )


def write_cifar_folder(parent, seed=0, n=3):
    """A tiny cifar-10-batches-py folder; returns (folder, {name: batch dict}).

    Training batches use the official files' Python 2 layout; the test batch is
    re-pickled by Python 3, as a copy that went through someone's script would be.
    """
    rng = np.random.default_rng(seed)
    folder = parent / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batches[name] = cifar_batch(rng, n)
        raw = py2_pickle(batches[name]) if name != "test_batch" else pickle.dumps(batches[name], protocol=2)
        (folder / name).write_bytes(raw)
    return folder, batches


def write_cifar_archive(path, batches_folder):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        tar.add(batches_folder, arcname="cifar-10-batches-py")
    return path


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def patch_spec(monkeypatch, name, *, mirrors=None, checksums=None):
    """Point a registry entry at other mirrors and/or checksums (keyed by file name)."""
    spec = registry.DATASETS[name]
    files = spec.files
    if checksums is not None:
        files = tuple(dataclasses.replace(f, checksum=checksums[f.filename]) for f in files)
    new = dataclasses.replace(spec, files=files, mirrors=spec.mirrors if mirrors is None else tuple(mirrors))
    monkeypatch.setitem(registry.DATASETS, name, new)
    return new


# ---------------------------------------------------------------- IDX parsing


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, ">i2", ">i4", ">f4", ">f8"])
@pytest.mark.parametrize("compress", [True, False])
def test_read_idx_round_trips_every_element_type(tmp_path, dtype, compress):
    array = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    got = read_idx(write_idx(tmp_path / "a.idx", array, compress=compress))
    assert got.shape == (2, 3, 4)
    assert got.dtype.isnative
    np.testing.assert_array_equal(got, array)


def test_bad_magic_names_the_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(b"\x01\x02\x08\x03" + bytes(100)))
    with pytest.raises(nd.DatasetFileError, match="bad magic") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_unknown_element_type_is_bad_magic(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(nd.DatasetFileError, match="unknown IDX element type 0x07"):
        read_idx(path)


def test_truncated_idx_reports_expected_and_actual_bytes(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros((3, 28, 28), np.uint8))[:-10])
    with pytest.raises(nd.DatasetFileError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    assert "truncated: expected 2352 bytes" in message and "got 2342" in message


def test_truncated_header(tmp_path):
    path = tmp_path / "short"
    path.write_bytes(b"\x00\x00\x08\x03" + b"\x00\x00")
    with pytest.raises(nd.DatasetFileError, match="truncated IDX header"):
        read_idx(path)


def test_trailing_bytes_are_an_error(tmp_path):
    path = tmp_path / "long"
    path.write_bytes(idx_bytes(np.zeros(4, np.uint8)) + b"junk")
    with pytest.raises(nd.DatasetFileError, match="4 unexpected bytes"):
        read_idx(path)


def test_corrupt_gzip_names_the_file(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    good = gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8) % 10))
    path.write_bytes(good[:12] + bytes(b ^ 0xFF for b in good[12:]))
    with pytest.raises(nd.DatasetFileError, match="corrupt gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(5000, dtype=np.uint8) % 10))[:-30])
    with pytest.raises(nd.DatasetFileError, match="corrupt gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_dataset_file_error_is_a_value_error():
    assert issubclass(nd.DatasetFileError, ValueError)


# ---------------------------------------------------------------- MNIST-family lookup


def test_load_mnist_from_data_dir(monkeypatch, tmp_path, capsys):
    dataset = tiny_mnist()
    write_mnist_folder(tmp_path / "data" / "mnist", dataset)
    monkeypatch.setenv("NN_UTILS_DATA_DIR", str(tmp_path / "data"))
    assert nd.source_of("mnist") is None
    assert_same_dataset(nd.load_mnist(), dataset)
    source = nd.source_of("mnist")
    assert source.is_real and not source.is_standin
    assert source.origin == "local"
    assert source.path == tmp_path / "data" / "mnist"
    assert "6 train / 4 test" in source.detail
    assert "STAND-IN" not in capsys.readouterr().out


def test_per_dataset_variable_with_uncompressed_dotted_names(monkeypatch, tmp_path):
    dataset = tiny_mnist(seed=1)
    folder = write_mnist_folder(tmp_path / "anywhere", dataset, compress=False, dotted=True)
    monkeypatch.setenv("NN_UTILS_FASHION_MNIST_DIR", str(folder))
    assert_same_dataset(nd.load_fashion_mnist(), dataset)
    assert nd.source_of("fashion_mnist").path == folder
    assert nd.source_of("mnist") is None


def test_torchvision_layout_under_data_dir(monkeypatch, tmp_path):
    dataset = tiny_mnist(seed=2)
    write_mnist_folder(tmp_path / "root" / "FashionMNIST" / "raw", dataset)
    monkeypatch.setenv("NN_UTILS_DATA_DIR", str(tmp_path / "root"))
    assert_same_dataset(nd.load_fashion_mnist(), dataset)


def test_incomplete_local_copy_raises_instead_of_falling_back(monkeypatch, tmp_path):
    folder = write_mnist_folder(tmp_path / "data" / "mnist", tiny_mnist())
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv("NN_UTILS_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(nd.DatasetFileError, match="incomplete copy") as info:
        nd.load_mnist()
    assert str(folder) in str(info.value)


def test_corrupt_local_file_raises_with_its_path(monkeypatch, tmp_path):
    folder = write_mnist_folder(tmp_path / "m", tiny_mnist())
    bad = folder / "train-images-idx3-ubyte.gz"
    bad.write_bytes(gzip.compress(idx_bytes(np.zeros((6, 28, 28), np.uint8))[:-1]))
    monkeypatch.setenv("NN_UTILS_MNIST_DIR", str(folder))
    with pytest.raises(nd.DatasetFileError, match="truncated") as info:
        nd.load_mnist()
    assert str(bad) in str(info.value)


def test_wrong_image_size_and_label_mismatch_are_reported(monkeypatch, tmp_path):
    folder = write_mnist_folder(tmp_path / "m", tiny_mnist())
    monkeypatch.setenv("NN_UTILS_MNIST_DIR", str(folder))
    write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((4, 32, 32), np.uint8))
    with pytest.raises(nd.DatasetFileError, match=r"shape \(N, 28, 28\)"):
        nd.load_mnist()
    write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((5, 28, 28), np.uint8))
    with pytest.raises(nd.DatasetFileError, match="has 4 labels but .*has 5 images"):
        nd.load_mnist()
    write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((4, 28, 28), np.uint8))
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.array([1, 2, 10, 3], np.uint8))
    with pytest.raises(nd.DatasetFileError, match="label 10 out of range"):
        nd.load_mnist()


def test_cache_route_verifies_official_files(monkeypatch, tmp_path):
    dataset = tiny_mnist(seed=3)
    cache = write_mnist_folder(tmp_path / "cache" / "mnist", dataset)
    checksums = {stem + ".gz": Checksum("md5", md5(cache / (stem + ".gz"))) for stem in MNIST_STEMS}
    patch_spec(monkeypatch, "mnist", checksums=checksums)
    assert_same_dataset(nd.load_mnist(), dataset)
    assert nd.source_of("mnist").origin == "cache"
    assert nd.source_of("mnist").path == cache


def test_cache_checksum_mismatch_raises_with_path(tmp_path):
    # The registry still holds the official checksums, which the tiny files cannot match.
    cache = write_mnist_folder(tmp_path / "cache" / "mnist", tiny_mnist())
    with pytest.raises(nd.DatasetFileError, match="checksum mismatch: expected md5 f68b3c2d") as info:
        nd.load_mnist()
    assert str(cache / "train-images-idx3-ubyte.gz") in str(info.value)


def test_source_of_rejects_unknown_names():
    with pytest.raises(ValueError, match="known: mnist, fashion_mnist, cifar10"):
        nd.source_of("imagenet")


# ---------------------------------------------------------------- downloads


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the default writes every request to stderr
        pass


@pytest.fixture
def http_root(tmp_path):
    """Serve tmp_path/'served' on 127.0.0.1; yields (folder, base URL)."""
    root = tmp_path / "served"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_download_route_fills_the_cache(monkeypatch, tmp_path, http_root, capsys):
    served, url = http_root
    dataset = tiny_mnist(seed=4)
    write_mnist_folder(served / "mirror", dataset)
    checksums = {
        stem + ".gz": Checksum("md5", md5(served / "mirror" / (stem + ".gz"))) for stem in MNIST_STEMS
    }
    # The first mirror lacks the files (HTTP 404), the second has them.
    patch_spec(monkeypatch, "mnist", mirrors=[url + "nothing-here/", url + "mirror"], checksums=checksums)
    monkeypatch.setenv("NN_UTILS_OFFLINE", "0")

    assert_same_dataset(nd.load_mnist(), dataset)
    out = capsys.readouterr()
    assert "Downloading train-images-idx3-ubyte.gz [" in out.out and "100%" in out.out
    assert out.err == ""
    source = nd.source_of("mnist")
    assert source.origin == "download" and source.is_real
    cache = tmp_path / "cache" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(stem + ".gz" for stem in MNIST_STEMS)

    # Second load: straight from the cache, no network needed.
    monkeypatch.setenv("NN_UTILS_OFFLINE", "1")
    assert_same_dataset(nd.load_mnist(), dataset)
    assert nd.source_of("mnist").origin == "cache"


def test_download_checksum_mismatch_leaves_nothing_in_cache(monkeypatch, tmp_path, http_root):
    served, url = http_root
    write_mnist_folder(served, tiny_mnist())
    patch_spec(monkeypatch, "mnist", mirrors=[url])  # official checksums: cannot match
    monkeypatch.setenv("NN_UTILS_OFFLINE", "0")
    with pytest.raises(nd.DatasetFileError, match="checksum mismatch") as info:
        nd.load_mnist()
    cache = tmp_path / "cache" / "mnist"
    assert str(cache / "train-images-idx3-ubyte.gz") in str(info.value)
    assert url in str(info.value) and "discarded" in str(info.value)
    assert list(cache.iterdir()) == []


def test_unreachable_mirrors_fall_back_to_the_standin(monkeypatch, capsys):
    patch_spec(monkeypatch, "mnist", mirrors=[closed_port_url()])
    monkeypatch.setenv("NN_UTILS_OFFLINE", "0")
    monkeypatch.setenv("NN_UTILS_DOWNLOAD_TIMEOUT", "2")
    (x_train, _), _ = nd.load_mnist()
    assert x_train.shape == (60000, 28, 28)
    out = capsys.readouterr().out
    assert "download: failed" in out and "STAND-IN" in out
    assert nd.source_of("mnist").is_standin


def test_unreachable_host_is_not_retried_in_the_same_process(tmp_path):
    remote = registry.RemoteFile("f.bin", Checksum("sha256", "0" * 64))
    url = closed_port_url()
    with pytest.raises(nd.DownloadError, match="Connection refused|refused"):
        download.fetch(remote, [url], tmp_path, timeout=2, out=io.StringIO())
    with pytest.raises(nd.DownloadError, match="unreachable earlier"):
        download.fetch(remote, [url], tmp_path, timeout=2, out=io.StringIO())


def test_fetch_reports_http_errors(tmp_path, http_root):
    _, url = http_root
    remote = registry.RemoteFile("missing.bin", Checksum("sha256", "0" * 64))
    with pytest.raises(nd.DownloadError, match="HTTP 404"):
        download.fetch(remote, [url], tmp_path / "dest", timeout=2, out=io.StringIO())
    assert list((tmp_path / "dest").iterdir()) == []


# ---------------------------------------------------------------- CIFAR-10


def expected_cifar(batches, names):
    x = np.concatenate([batches[n][b"data"] for n in names]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    y = np.concatenate([batches[n][b"labels"] for n in names])
    return x.astype(np.float64), y


def check_cifar(result, batches):
    x_train, y_train, x_test, y_test = result
    ex_train, ey_train = expected_cifar(batches, [f"data_batch_{i}" for i in range(1, 6)])
    ex_test, ey_test = expected_cifar(batches, ["test_batch"])
    assert x_train.dtype == np.float64 and x_train.shape == (15, 32, 32, 3)
    assert y_train.dtype == np.int64 and y_train.shape == (15,)
    np.testing.assert_array_equal(x_train, ex_train)
    np.testing.assert_array_equal(y_train, ey_train)
    np.testing.assert_array_equal(x_test, ex_test)
    np.testing.assert_array_equal(y_test, ey_test)


def test_load_CIFAR10_matches_cs231n_layout(tmp_path):
    folder, batches = write_cifar_folder(tmp_path)
    result = nd.load_CIFAR10(str(folder))
    check_cifar(result, batches)
    # Row layout is CHW: element (c, h, w) of a row lands at X[n, h, w, c].
    row = batches["data_batch_1"][b"data"][0]
    assert result[0][0, 5, 7, 2] == row[2 * 1024 + 5 * 32 + 7]
    source = nd.source_of("cifar10")
    assert source.is_real and source.origin == "path" and source.path == folder


def test_load_CIFAR_batch(tmp_path):
    folder, batches = write_cifar_folder(tmp_path)
    x, y = nd.load_CIFAR_batch(str(folder / "test_batch"))
    assert x.shape == (3, 32, 32, 3) and x.dtype == np.float64
    np.testing.assert_array_equal(y, batches["test_batch"][b"labels"])


def test_load_cifar10_from_data_dir_folder(monkeypatch, tmp_path):
    _, batches = write_cifar_folder(tmp_path / "data" / "cifar10")
    monkeypatch.setenv("NN_UTILS_DATA_DIR", str(tmp_path / "data"))
    check_cifar(nd.load_cifar10(), batches)
    assert nd.source_of("cifar10").origin == "local"


def test_torchvision_cifar_layout_under_data_dir(monkeypatch, tmp_path):
    _, batches = write_cifar_folder(tmp_path / "torch_root")
    monkeypatch.setenv("NN_UTILS_DATA_DIR", str(tmp_path / "torch_root"))
    check_cifar(nd.load_cifar10(), batches)
    assert nd.source_of("cifar10").path == tmp_path / "torch_root" / "cifar-10-batches-py"


def test_load_cifar10_from_cached_archive(monkeypatch, tmp_path):
    folder, batches = write_cifar_folder(tmp_path / "src")
    archive = write_cifar_archive(tmp_path / "cache" / "cifar10" / "cifar-10-python.tar.gz", folder)
    patch_spec(monkeypatch, "cifar10", checksums={archive.name: Checksum("sha256", sha256(archive))})
    check_cifar(nd.load_cifar10(), batches)
    source = nd.source_of("cifar10")
    assert source.origin == "cache" and source.path == archive


def test_cached_cifar_archive_with_wrong_checksum(tmp_path):
    folder, _ = write_cifar_folder(tmp_path / "src")
    archive = write_cifar_archive(tmp_path / "cache" / "cifar10" / "cifar-10-python.tar.gz", folder)
    with pytest.raises(nd.DatasetFileError, match="expected sha256 6d958be0") as info:
        nd.load_cifar10()
    assert str(archive) in str(info.value) and "Delete it" in str(info.value)


def test_download_cifar_archive(monkeypatch, tmp_path, http_root):
    served, url = http_root
    folder, batches = write_cifar_folder(tmp_path / "src")
    archive = write_cifar_archive(served / "cifar-10-python.tar.gz", folder)
    patch_spec(
        monkeypatch, "cifar10", mirrors=[url], checksums={archive.name: Checksum("sha256", sha256(archive))}
    )
    monkeypatch.setenv("NN_UTILS_OFFLINE", "0")
    check_cifar(nd.load_cifar10(), batches)
    assert nd.source_of("cifar10").origin == "download"
    assert (tmp_path / "cache" / "cifar10" / "cifar-10-python.tar.gz").is_file()


def test_truncated_cifar_archive_names_the_file(monkeypatch, tmp_path):
    folder, _ = write_cifar_folder(tmp_path / "src")
    archive = write_cifar_archive(tmp_path / "data" / "cifar10" / "cifar-10-python.tar.gz", folder)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    monkeypatch.setenv("NN_UTILS_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(nd.DatasetFileError, match="corrupt or truncated archive") as info:
        nd.load_cifar10()
    assert str(archive) in str(info.value)


def test_cifar_archive_missing_a_batch(monkeypatch, tmp_path):
    folder, _ = write_cifar_folder(tmp_path / "src")
    (folder / "data_batch_4").unlink()
    archive = write_cifar_archive(tmp_path / "d" / "cifar-10-python.tar.gz", folder)
    monkeypatch.setenv("NN_UTILS_CIFAR10_DIR", str(archive.parent))
    with pytest.raises(nd.DatasetFileError, match="lacks data_batch_4"):
        nd.load_cifar10()


def test_corrupt_cifar_batch_names_the_file(tmp_path):
    folder, _ = write_cifar_folder(tmp_path)
    bad = folder / "data_batch_3"
    bad.write_bytes(bad.read_bytes()[:100])
    with pytest.raises(nd.DatasetFileError, match="not a readable CIFAR-10 batch") as info:
        nd.load_CIFAR10(folder)
    assert str(bad) in str(info.value)


def test_cifar_batch_with_wrong_row_size(tmp_path):
    folder, _ = write_cifar_folder(tmp_path)
    bad = folder / "test_batch"
    bad.write_bytes(pickle.dumps({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, protocol=2))
    with pytest.raises(nd.DatasetFileError, match=r"shape \(N, 3072\)") as info:
        nd.load_CIFAR10(folder)
    assert str(bad) in str(info.value)


class _Exploit:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_cifar_batches_cannot_run_code(tmp_path, capsys):
    folder, _ = write_cifar_folder(tmp_path)
    (folder / "data_batch_1").write_bytes(pickle.dumps({b"data": _Exploit(), b"labels": []}, protocol=2))
    with pytest.raises(nd.DatasetFileError, match=r"refusing to load (__builtin__|builtins)\.print"):
        nd.load_CIFAR10(folder)
    assert "must never run" not in capsys.readouterr().out


def test_load_CIFAR10_on_a_folder_without_batches(tmp_path):
    with pytest.raises(FileNotFoundError, match="no CIFAR-10 batches"):
        nd.load_CIFAR10(tmp_path)


# ---------------------------------------------------------------- offline stand-ins


def unboxed(message):
    """The fallback message's text with the frame and line wrapping removed."""
    return " ".join(line.strip("! ") for line in message.splitlines() if line.strip("! "))


def assert_loud_fallback(captured, title, env_hint):
    assert captured.err == ""  # nbgrader fails a cell that writes to stderr
    assert len(captured.out.splitlines()) >= 10
    text = unboxed(captured.out)
    assert f"real {title} data set is NOT available" in text
    assert "STAND-IN" in text and "NOT comparable" in text
    assert "NN_UTILS_DATA_DIR" in text and env_hint in text and "NN_UTILS_CACHE_DIR" in text
    assert "download: skipped because NN_UTILS_OFFLINE is set" in text


@pytest.mark.parametrize(
    "loader, name, title, env_hint",
    [
        (nd.load_mnist, "mnist", "MNIST", "NN_UTILS_MNIST_DIR"),
        (nd.load_fashion_mnist, "fashion_mnist", "Fashion-MNIST", "NN_UTILS_FASHION_MNIST_DIR"),
    ],
)
def test_offline_fallback_mnist_family(capsys, loader, name, title, env_hint):
    (x_train, y_train), (x_test, y_test) = loader()
    assert_loud_fallback(capsys.readouterr(), title, env_hint)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == y_train.dtype == x_test.dtype == y_test.dtype == np.uint8
    assert set(np.unique(y_train)) == set(range(10)) and set(np.unique(y_test)) == set(range(10))
    assert x_train.max() == 255 and x_train.min() == 0
    source = nd.source_of(name)
    assert source.is_standin and not source.is_real and source.path is None
    # Callers own their arrays: changing one must not leak into the next load.
    x_train[:] = 0
    (again, _), _ = loader()
    assert again.max() == 255


def test_offline_fallback_cifar10(capsys):
    x_train, y_train, x_test, y_test = nd.load_cifar10()
    assert_loud_fallback(capsys.readouterr(), "CIFAR-10", "NN_UTILS_CIFAR10_DIR")
    assert x_train.shape == (50000, 32, 32, 3) and x_test.shape == (10000, 32, 32, 3)
    assert x_train.dtype == x_test.dtype == np.float64
    assert y_train.shape == (50000,) and y_test.shape == (10000,)
    assert np.issubdtype(y_train.dtype, np.integer)
    assert np.array_equal(np.bincount(y_train), [5000] * 10)
    assert x_train.min() >= 0.0 and x_train.max() <= 255.0
    assert nd.source_of("cifar10").is_standin


def test_missing_data_dir_is_reported_in_the_fallback_message(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("NN_UTILS_DATA_DIR", str(tmp_path / "nowhere"))
    nd.load_fashion_mnist()
    assert f"$NN_UTILS_DATA_DIR: no folder {tmp_path / 'nowhere' / 'fashion_mnist'}" in unboxed(
        capsys.readouterr().out
    )
    assert nd.source_of("fashion_mnist").is_standin


@pytest.mark.parametrize("module", [digits, fashion, cifar_standin])
def test_standins_are_deterministic(module):
    first = module.build(n_train=200, n_test=50)
    second = module.build(n_train=200, n_test=50)
    other = module.build(n_train=200, n_test=50, seed=1)
    for a, b in zip(first[0] + first[1], second[0] + second[1]):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0][0], other[0][0])


def test_mnist_standin_is_learnable():
    from sklearn.linear_model import LogisticRegression

    (x_train, y_train), (x_test, y_test) = digits.build(n_train=2000, n_test=1000)
    model = LogisticRegression(max_iter=200).fit(x_train.reshape(2000, -1) / 255.0, y_train)
    assert model.score(x_test.reshape(1000, -1) / 255.0, y_test) > 0.8


def test_missing_standin_dependency_gives_instructions(monkeypatch):
    from nn_utils.data import loaders

    def no_sklearn(name, *rows):
        raise ImportError("No module named 'sklearn'")

    monkeypatch.setattr(loaders, "standin", no_sklearn)
    with pytest.raises(ImportError) as info:
        nd.load_mnist()
    message = str(info.value)
    assert "No module named 'sklearn'" in message and "install scikit-learn" in message
    assert "NN_UTILS_DATA_DIR" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert nd.source_of("mnist") is None


def test_a_built_standin_is_saved_for_later_processes_and_damage_means_rebuild(tmp_path, monkeypatch):
    from nn_utils.data import standins

    monkeypatch.setenv("NN_UTILS_CACHE_DIR", str(tmp_path))
    saved = standins._saved_copy("cifar10")
    assert saved.parent == tmp_path / "standins" and saved.name.startswith("cifar10-")
    small = ((np.zeros((2, 32, 32, 3), np.uint8), np.array([1, 2])),
             (np.ones((1, 32, 32, 3), np.uint8), np.array([3])))
    assert standins._save(saved, small)
    (x_train, y_train), (x_test, y_test) = standins.standin("cifar10")
    assert x_train.shape == (2, 32, 32, 3) and y_test.tolist() == [3]
    x_train[0, 0, 0, 0] = 9  # each call's arrays are the caller's own
    assert standins.standin("cifar10")[0][0][0, 0, 0, 0] == 0
    (saved / "x_test.npy").write_bytes(b"half a file")
    assert standins._load_saved(saved) is None  # the next call rebuilds instead of failing
    assert standins._save(saved, small)  # over the damaged copy
    assert standins._load_saved(saved)[1][0].shape == (1, 32, 32, 3)


def test_a_saved_standin_gives_just_the_first_images_asked_for(tmp_path, monkeypatch):
    from nn_utils.data import standins

    monkeypatch.setenv("NN_UTILS_CACHE_DIR", str(tmp_path))
    rng = np.random.default_rng(0)
    full = ((rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8), np.arange(40) % 10),
            (rng.integers(0, 256, (8, 32, 32, 3), dtype=np.uint8), np.arange(8) % 10))
    standins._save(standins._saved_copy("cifar10"), full)
    (x_train, y_train), (x_test, y_test) = nd.cifar10_as_stored(25, 3)
    assert_same_dataset(((x_train, y_train.astype(np.uint8)), (x_test, y_test.astype(np.uint8))),
                        ((full[0][0][:25], full[0][1][:25].astype(np.uint8)),
                         (full[1][0][:3], full[1][1][:3].astype(np.uint8))))
    assert x_train.flags.writeable and x_train.base is None  # a copy, not a view of the file
    assert nd.cifar10_as_stored()[0][0].shape == (40, 32, 32, 3)


def test_a_cifar_folder_is_read_only_as_far_as_the_images_asked_for(monkeypatch, tmp_path):
    folder, batches = write_cifar_folder(tmp_path / "data" / "cifar10")
    for late in ("data_batch_3", "data_batch_4", "data_batch_5"):
        (folder / late).write_bytes(b"never read")
    monkeypatch.setenv("NN_UTILS_DATA_DIR", str(tmp_path / "data"))
    (x_train, y_train), (x_test, y_test) = nd.cifar10_as_stored(train_rows=5, test_rows=2)
    expected_x, expected_y = expected_cifar(batches, ["data_batch_1", "data_batch_2"])
    np.testing.assert_array_equal(x_train, expected_x[:5])
    np.testing.assert_array_equal(y_train, expected_y[:5])
    assert x_test.shape == (2, 32, 32, 3) and x_train.dtype == np.uint8
    with pytest.raises(nd.DatasetFileError, match="data_batch_3"):  # the whole set needs them
        nd.cifar10_as_stored()


def test_a_cifar_archive_gives_the_first_images_asked_for(monkeypatch, tmp_path):
    folder, batches = write_cifar_folder(tmp_path / "src")
    archive = write_cifar_archive(tmp_path / "cache" / "cifar10" / "cifar-10-python.tar.gz", folder)
    patch_spec(monkeypatch, "cifar10", checksums={archive.name: Checksum("sha256", sha256(archive))})
    data = nd.get_CIFAR10_data(num_training=4, num_validation=2, num_test=1, subtract_mean=False)
    expected_x, expected_y = expected_cifar(batches, [f"data_batch_{i}" for i in range(1, 6)])
    np.testing.assert_array_equal(data["X_val"], expected_x[4:6].transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(data["y_train"], expected_y[:4])
    assert data["X_test"].shape == (1, 3, 32, 32)