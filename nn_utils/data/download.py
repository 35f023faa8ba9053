"""Downloading a published file into the cache, verified, with a text progress bar.

pooch (the downloader scipy and scikit-image fetch their data with) does the work: it
writes to a temporary file, checks the published checksum and only then moves the file
to its final name, deleting a download that does not match; so an interrupted or
corrupted download can never be mistaken for a good cached copy. What is added here: the
data set's mirrors tried in turn, a host that could not be reached not tried again in
the same process, and progress and messages on stdout (nbgrader fails a cell that writes
to stderr, where pooch's own logger and tqdm bar would go).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from urllib.parse import urlsplit

from .errors import DatasetFileError, DownloadError
from .registry import RemoteFile

_BAR_WIDTH = 30
_USER_AGENT = "nn_utils-data-loader (course homework kit)"

# Hosts whose connection failed in this process.  Without network, every later data set
# would otherwise wait for the same time-outs again.
_unreachable_hosts: set[str] = set()


def fetch(remote: RemoteFile, mirrors, dest_dir: str | Path, *, timeout: float,
          out=None) -> tuple[Path, str]:
    """Download ``remote`` into ``dest_dir`` from the first mirror that serves it intact.

    Returns ``(path, url)``.  Raises ``DatasetFileError`` if a mirror answered but no
    mirror's file matched the checksum (the bad file is deleted), and ``DownloadError``
    if no mirror could be reached at all.  Progress goes to ``out`` (default: stdout).
    """
    import pooch  # its import pulls in requests: only when a download is due
    import requests

    pooch.get_logger().setLevel(logging.WARNING)  # its INFO lines would go to stderr
    out = sys.stdout if out is None else out
    dest_dir = Path(dest_dir)
    final = dest_dir / remote.filename
    failures: list[str] = []
    mismatch: DatasetFileError | None = None
    for base in mirrors:
        url = base.rstrip("/") + "/" + remote.filename
        host = urlsplit(url).netloc
        if host in _unreachable_hosts:
            failures.append(f"{url}: skipped, {host} was unreachable earlier in this session")
            continue
        downloader = pooch.HTTPDownloader(progressbar=_ProgressBar(out, remote.filename),
                                          timeout=timeout, headers={"User-Agent": _USER_AGENT})
        try:
            path = pooch.retrieve(url, known_hash=str(remote.checksum), fname=remote.filename,
                                  path=dest_dir, downloader=downloader)
        except requests.HTTPError as exc:
            failures.append(f"{url}: HTTP {exc.response.status_code} {exc.response.reason}")
        except (requests.ConnectionError, requests.Timeout) as exc:
            _unreachable_hosts.add(host)
            failures.append(f"{url}: {type(exc).__name__}: {exc}")
        except requests.RequestException as exc:  # a broken or truncated transfer
            failures.append(f"{url}: {type(exc).__name__}: {exc}")
        except ValueError as exc:  # pooch: the checksum did not match (it deleted the file)
            mismatch = DatasetFileError(final, f"checksum mismatch (downloaded from {url}): "
                                        f"{exc} The download was discarded.")
            failures.append(f"{url}: checksum mismatch")
        except OSError as exc:
            failures.append(f"{url}: {type(exc).__name__}: {exc}")
        else:
            return Path(path), url
    if mismatch is not None:
        raise mismatch
    raise DownloadError(f"could not download {remote.filename}: "
                        + "; ".join(failures or ["no mirrors configured"]))


class _ProgressBar:
    """``name [#######.......]  45%  4.5/9.9 MB`` redrawn in place with a carriage return,
    as pooch drives a progress bar (``total``, ``update``, ``reset``, ``close``).

    Written to stdout, not stderr: nbgrader marks a cell that writes to stderr as failed.
    Redrawn only when the shown value changes, to keep notebook outputs small.
    """

    def __init__(self, out, label):
        self.out, self.label = out, label
        self.total, self.done, self.shown = 0, 0, None

    def update(self, count):
        self.done += count
        key = min(100, self.done * 100 // self.total) if self.total else self.done >> 20
        if key != self.shown:
            self.shown = key
            self.out.write("\r" + self._line())
            self.out.flush()

    def reset(self):
        self.done = 0

    def close(self):
        self.out.write("\r" + self._line() + "\n")
        self.out.flush()

    def _line(self):
        done = min(self.done, self.total) if self.total else self.done
        mb = done / 1e6
        if not self.total:
            return f"Downloading {self.label}  {mb:.1f} MB"
        frac = min(1.0, done / self.total)
        filled = int(round(frac * _BAR_WIDTH))
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        return (f"Downloading {self.label} [{bar}] {int(frac * 100):3d}%  "
                f"{mb:.1f}/{self.total / 1e6:.1f} MB")
