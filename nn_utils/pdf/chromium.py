"""The Chromium route: nbconvert's HTML, printed by headless Chromium once MathJax is done.

nbconvert writes the notebook as HTML whose MathJax comes from the copy that the
``jupyter-server-mathjax`` package installs (nbconvert's default loads it from a CDN),
then headless Chromium opens that page, waits until MathJax has typeset every formula
and prints it. Chromium is driven over its DevTools pipe rather than with
``--print-to-pdf``, because that flag prints when the page has loaded, before MathJax is
done, and its ``--virtual-time-budget`` makes MathJax give up on its fonts.

Chromium is ``$NN_UTILS_CHROMIUM`` if set, else the first of chromium, chromium-browser
and google-chrome on PATH (Debian: ``apt-get install chromium``; ``./kit`` installs it).
This route needs POSIX (Linux, macOS): it hands Chromium its pipe as fds 3 and 4.

``notebook_html`` and ``html_to_pdf`` are also what the instructor's feedback uses
(autograder/results/feedback.py).
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat

from . import ExportError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
INSTALL_HINT = ("install Chromium (Debian/Ubuntu: sudo apt-get install chromium; "
                "./kit does this when run as root) or point $NN_UTILS_CHROMIUM at a "
                "Chrome or Chromium executable")
# Headless, and nothing that reaches for the network: offline, those calls stall.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-crash-reporter", "--remote-debugging-pipe")

# The lab template, minus the two scripts it would fetch from a CDN (require.js, unused
# here, and mermaid), with long code lines wrapped instead of cut off on paper, and with
# MathJax told to use the STIX web fonts: jupyter-server-mathjax ships only those (as
# Jupyter's own MathJax setup says), and MathJax's default, TeX, would fall back to
# whatever fonts the system has.
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock -%}
{%- block html_head_js_mermaidjs -%}{%- endblock -%}
{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null,
                                  webFont: "STIX-Web", imageFont: null}});
</script>
{{ super() }}
{%- endblock -%}
{%- block extra_css -%}
<style>@media print { pre { white-space: pre-wrap; overflow-wrap: anywhere; } }</style>
{%- endblock -%}
"""

# Resolves once the page has loaded and MathJax has typeset it (MathJax's queue runs
# our callback after its own startup typesetting). Says so if MathJax failed to load.
_WAIT_FOR_MATHJAX = """new Promise(done => {
  if (window.MathJax && MathJax.Hub) { MathJax.Hub.Queue(() => done("typeset")); }
  else if (document.querySelector('script[src*="MathJax.js"]')) { done("MathJax missing"); }
  else { done("no math"); }
})"""


def find_chromium() -> str:
    """The Chromium executable to use; raise ExportError saying how to install one."""
    configured = os.environ.get("NN_UTILS_CHROMIUM")
    if configured:
        found = shutil.which(configured)
        if not found:
            raise ExportError(f"$NN_UTILS_CHROMIUM={configured} is not an executable; "
                              + INSTALL_HINT)
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ExportError(f"no Chromium found (looked for {', '.join(CHROMIUM_NAMES)}): "
                      + INSTALL_HINT)


def local_mathjax_url() -> str:
    """A file:// URL of MathJax 2 (from jupyter-server-mathjax) with nbconvert's config."""
    try:
        import jupyter_server_mathjax
    except ImportError as error:
        raise ExportError("the package jupyter-server-mathjax is missing: "
                          "pip install jupyter-server-mathjax") from error
    script = Path(jupyter_server_mathjax.__file__).parent / "static" / "MathJax.js"
    return script.as_uri() + "?config=TeX-AMS-MML_HTMLorMML-full,Safe"


def notebook_html(notebook: nbformat.NotebookNode, title: str, folder: Path) -> str:
    """The notebook as a standalone HTML page that typesets its math offline.

    ``title`` becomes the page (and PDF) title; images a Markdown cell names by a path
    relative to ``folder`` (the notebook's own folder) are embedded.
    """
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", template_file="kit_pdf.html.j2",
                            extra_loaders=[DictLoader({"kit_pdf.html.j2": _TEMPLATE})],
                            mathjax_url=local_mathjax_url(), embed_images=True)
    resources = {"metadata": {"name": title, "path": str(folder)}}
    body, _ = exporter.from_notebook_node(notebook, resources=resources)
    return body


def _pipe_above_4() -> tuple[int, int]:
    """os.pipe() with both ends at fd 10 or above, so that putting them on fds 3 and 4
    in the child cannot overwrite one with the other."""
    import fcntl  # POSIX only: imported here so that Windows can import this module

    ends = []
    for fd in os.pipe():
        ends.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10))
        os.close(fd)
    return ends[0], ends[1]


class _DevTools:
    """One headless Chromium, spoken to over its DevTools pipe (fd 3 in, fd 4 out)."""

    def __init__(self, chromium: str, profile: Path, timeout: float):
        self.deadline = time.monotonic() + timeout
        self.log_path = profile / "chromium.log"
        theirs_in, ours_out = _pipe_above_4()
        ours_in, theirs_out = _pipe_above_4()

        def use_fds_3_and_4():  # runs in the child, before Chromium starts
            os.dup2(theirs_in, 3)
            os.dup2(theirs_out, 4)

        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=False,
                preexec_fn=use_fds_3_and_4)
        os.close(theirs_in)
        os.close(theirs_out)
        self.writer = os.fdopen(ours_out, "wb")
        self.reader = ours_in
        self.buffer = b""
        self.events = []
        self.last_id = 0

    def _failure(self, what: str) -> ExportError:
        log = self.log_path.read_text(errors="replace").strip().splitlines()[-5:]
        return ExportError(f"Chromium {what}; its last log lines:\n" + "\n".join(log))

    def _receive(self) -> dict:
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self.reader], [], [], left)[0]:
                raise self._failure("did not finish in time (a formula or a huge output?)")
            chunk = os.read(self.reader, 1 << 20)
            if not chunk:
                raise self._failure("stopped unexpectedly")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, session: str | None = None, **params) -> dict:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.writer.write(json.dumps(message).encode() + b"\0")
        self.writer.flush()
        while True:
            reply = self._receive()
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise self._failure(f"refused {method}: {reply['error'].get('message')}")
                return reply["result"]
            self.events.append(reply)

    def wait_for_event(self, method: str, session: str) -> dict:
        while True:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    self.events.remove(event)
                    return event
            self.events.append(self._receive())

    def close(self) -> None:
        try:
            self.call("Browser.close")
            self.process.wait(timeout=10)
        except (ExportError, OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            self.writer.close()
            os.close(self.reader)


def html_to_pdf(html_path: Path, pdf_path: Path, timeout: float = 120) -> Path:
    """Print an HTML file to ``pdf_path`` with headless Chromium once MathJax is done.

    Raises ExportError when Chromium is missing, fails, or takes longer than ``timeout``
    seconds, and when the page names a MathJax that did not load.
    """
    chromium = find_chromium()
    with tempfile.TemporaryDirectory(prefix="nn_utils_chromium_") as profile:
        browser = _DevTools(chromium, Path(profile), timeout)
        try:
            target = browser.call("Target.createTarget", url="about:blank")["targetId"]
            session = browser.call("Target.attachToTarget", targetId=target,
                                   flatten=True)["sessionId"]
            browser.call("Page.enable", session)
            browser.call("Page.navigate", session, url=Path(html_path).resolve().as_uri())
            browser.wait_for_event("Page.loadEventFired", session)
            state = browser.call("Runtime.evaluate", session, expression=_WAIT_FOR_MATHJAX,
                                 awaitPromise=True, returnByValue=True)["result"]["value"]
            if state == "MathJax missing":
                raise ExportError(f"{html_path}: MathJax did not load, so its formulas "
                                  "would print as raw TeX")
            # At 85% a notebook's ~90-character code lines fit the page width unwrapped.
            pdf = browser.call("Page.printToPDF", session, printBackground=True,
                               scale=0.85)["data"]
        finally:
            browser.close()
    Path(pdf_path).write_bytes(base64.b64decode(pdf))
    return Path(pdf_path)
