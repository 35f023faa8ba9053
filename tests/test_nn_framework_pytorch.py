"""The optional PyTorch notebook: skips cleanly without PyTorch, runs quickly with it."""

import os
import re
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


@pytest.mark.slow
def test_runs_with_pytorch(tmp_path, torch_path):
    # How long it takes is measured by ./kit bench reference_notebooks, not asserted here:
    # a busy machine must not fail a test.
    notebook, _ = execute(tmp_path, extra_path=torch_path)
    assert not [o for o in outputs(notebook) if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs(notebook))
    assert "running on the CPU" in text
    # Accuracy per epoch on a validation split of the training data, the test set once.
    assert re.search(r"epoch 3: train 0\.\d+, validation 0\.\d+", text), text
    assert "test accuracy on all 10000 test images" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs(notebook)) == 2
    rows = (tmp_path / "cifar10_predictions.csv").read_text().splitlines()
    assert rows[0] == "id,label" and len(rows) == 10001
    ids, labels = zip(*(map(int, row.split(",")) for row in rows[1:]))
    assert list(ids) == list(range(10000)) and set(labels) <= set(range(10))
    assert "wrote 10000 predictions" in text


def test_validation_split_is_carved_from_the_training_data():
    """Run the notebook's own split on small made-up data: disjoint, from training only."""
    import numpy as np

    namespace = {}
    setup = next(c for c in nbformat.read(SOURCE, as_version=4).cells
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "pytorch-setup")
    source = setup.source.replace("import nn_utils", "")
    source = source.replace("TRAIN_SIZE, VALIDATION_SIZE = 6000, 1000",
                            "TRAIN_SIZE, VALIDATION_SIZE = 30, 10")
    exec(source, namespace)
    if namespace["torch"] is None:
        fake_torch = type("FakeTorch", (), {"as_tensor": staticmethod(np.asarray)})
        namespace["torch"] = fake_torch
    x = np.repeat(np.arange(50, dtype=np.float32)[:, None] * 255.0, 4, axis=1)  # row i: i
    y = np.arange(50) % 10
    (train_x, train_y), (val_x, val_y) = namespace["train_validation_split"](x, y)
    train_rows = np.asarray(train_x)[:, 0].astype(int)
    val_rows = np.asarray(val_x)[:, 0].astype(int)
    assert len(set(train_rows)) == 30 and len(set(val_rows)) == 10
    assert not set(train_rows) & set(val_rows)
    assert np.array_equal(np.asarray(train_y), y[train_rows])
    assert np.array_equal(np.asarray(val_y), y[val_rows])


def test_the_seed_numbering_is_kept():
    text = SOURCE.with_name("nn_framework_pytorch.pct.py").read_text()
    headings = re.findall(r"^# ## (7\.\d)", text, flags=re.M)
    assert headings == ["7.1", "7.2", "7.3", "7.4"]


def test_the_release_strips_the_model_answers():
    source = nbformat.read(SOURCE, as_version=4)
    assert set(reference_answers(source)) == {"mlp-impl", "cnn-impl", "pytorch-writeup"}
