"""Downloading a published file into the cache, verified, with a text progress bar.

A file only ever appears under its final name after its checksum matched: it is written
to a hidden ``.part`` file next to it first and renamed at the end, and a ``.part`` file
that fails is deleted.  So an interrupted or corrupted download can never be mistaken for
a good cached copy.
"""

from __future__ import annotations

import http.client
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from .errors import DatasetFileError, DownloadError
from .integrity import verify
from .registry import RemoteFile

_CHUNK = 1 << 16
_BAR_WIDTH = 30
_USER_AGENT = "nn_utils-data-loader (course homework kit)"

# Hosts whose connection failed in this process.  Without network, every later data set
# would otherwise wait for the same time-outs again.
_unreachable_hosts: set[str] = set()


def fetch(remote: RemoteFile, mirrors, dest_dir: str | Path, *, timeout: float, out=None) -> tuple[Path, str]:
    """Download ``remote`` into ``dest_dir`` from the first mirror that serves it intact.

    Returns ``(path, url)``.  Raises ``DatasetFileError`` if a mirror answered but no
    mirror's file matched the checksum (the bad file is deleted), and ``DownloadError``
    if no mirror could be reached at all.  Progress goes to ``out`` (default: stdout).
    """
    out = sys.stdout if out is None else out
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    final = dest_dir / remote.filename
    failures: list[str] = []
    mismatch: DatasetFileError | None = None
    for base in mirrors:
        url = base.rstrip("/") + "/" + remote.filename
        host = urlsplit(url).netloc
        if host in _unreachable_hosts:
            failures.append(f"{url}: skipped, {host} was unreachable earlier in this session")
            continue
        part = dest_dir / f".{remote.filename}.{os.getpid()}.part"
        try:
            _stream(url, part, timeout, out, remote.filename)
            verify(part, remote.checksum, origin=url)
        except DatasetFileError as exc:
            mismatch = DatasetFileError(final, exc.problem + " The download was discarded.")
            failures.append(f"{url}: {exc.problem}")
        except urllib.error.HTTPError as exc:
            failures.append(f"{url}: HTTP {exc.code} {exc.reason}")
        except urllib.error.URLError as exc:
            _unreachable_hosts.add(host)
            failures.append(f"{url}: {exc.reason}")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            failures.append(f"{url}: {type(exc).__name__}: {exc}")
        else:
            os.replace(part, final)
            return final, url
        finally:
            part.unlink(missing_ok=True)
    if mismatch is not None:
        raise mismatch
    raise DownloadError(
        f"could not download {remote.filename}: " + "; ".join(failures or ["no mirrors configured"])
    )


def _stream(url, part, timeout, out, label):
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(part, "wb") as sink:
        total = response.headers.get("Content-Length")
        total = int(total) if total and total.isdigit() else None
        bar = _ProgressBar(out, label, total)
        done = 0
        while True:
            block = response.read(_CHUNK)
            if not block:
                break
            sink.write(block)
            done += len(block)
            bar.update(done)
        bar.close(done)
    if total is not None and done != total:
        raise DatasetFileError(part, f"truncated download: expected {total} bytes, got {done}")


class _ProgressBar:
    """``name [#######.......]  45%  4.5/9.9 MB`` redrawn in place with a carriage return.

    Written to stdout, not stderr: nbgrader marks a cell that writes to stderr as failed.
    Redrawn only when the shown value changes, to keep notebook outputs small.
    """

    def __init__(self, out, label, total):
        self.out, self.label, self.total = out, label, total
        self.shown = None

    def update(self, done):
        if self.total:
            key = min(100, done * 100 // self.total)
        else:
            key = done >> 20  # whole MB
        if key != self.shown:
            self.shown = key
            self.out.write("\r" + self._line(done))
            self.out.flush()

    def close(self, done):
        self.out.write("\r" + self._line(done) + "\n")
        self.out.flush()

    def _line(self, done):
        mb = done / 1e6
        if not self.total:
            return f"Downloading {self.label}  {mb:.1f} MB"
        frac = min(1.0, done / self.total)
        filled = int(round(frac * _BAR_WIDTH))
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        return f"Downloading {self.label} [{bar}] {int(frac * 100):3d}%  {mb:.1f}/{self.total / 1e6:.1f} MB"
