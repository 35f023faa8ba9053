"""The optional PyTorch notebook: skips cleanly without PyTorch, runs quickly with it."""

import os
import subprocess
import sys
import time

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.authoring import reference_answers
from autograder.course import KIT_ROOT

SOURCE = KIT_ROOT / "source" / "nn_framework" / "nn_framework_pytorch.ipynb"
# PyTorch is not a dependency of the kit. On machines with the CPU wheel in pip's local
# wheel folder, it is installed once into this folder, beside (not into) the environment.
TORCH_DIR = KIT_ROOT / ".venv" / "optional-torch"


def execute(tmp_path, extra_path=None):
    notebook = nbformat.read(SOURCE, as_version=4)
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH")]))
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute(env=env)
    return notebook, time.perf_counter() - start


def outputs(notebook):
    return [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]


def test_skips_cleanly_without_pytorch(tmp_path):
    notebook, _ = execute(tmp_path)
    assert not [o for o in outputs(notebook) if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs(notebook))
    assert "PyTorch is not installed" in text
    assert not (tmp_path / "cifar10_predictions.csv").exists()


@pytest.fixture(scope="module")
def torch_path():
    if not (TORCH_DIR / "torch").is_dir():
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--target",
             str(TORCH_DIR), "torch==2.13.0"], capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"PyTorch 2.13.0 cannot be installed here: {result.stderr[-300:]}")
    return TORCH_DIR


def test_runs_with_pytorch_within_two_minutes(tmp_path, torch_path):
    notebook, seconds = execute(tmp_path, extra_path=torch_path)
    assert not [o for o in outputs(notebook) if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs(notebook))
    assert "running on the CPU" in text and "epoch 3" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs(notebook)) == 2
    rows = (tmp_path / "cifar10_predictions.csv").read_text().splitlines()
    assert rows[0] == "id,label" and len(rows) == 1001
    assert seconds < 120


def test_the_release_strips_the_model_answers():
    source = nbformat.read(SOURCE, as_version=4)
    assert set(reference_answers(source)) == {"mlp-impl", "cnn-impl", "pytorch-writeup"}
