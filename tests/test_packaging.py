"""The conda and pip routes install the same packages; the README's commands exist."""

import re
import tomllib

import yaml

from autograder.course import KIT_ROOT


def normalise(name: str) -> str:
    return re.split(r"[<>=!~ \[]", name.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_pyproject_dependencies():
    project = tomllib.loads((KIT_ROOT / "pyproject.toml").read_text())["project"]
    pip_side = {normalise(d) for d in project["dependencies"]}
    pip_side |= {normalise(d) for d in project["optional-dependencies"]["test"]}
    env = yaml.safe_load((KIT_ROOT / "environment.yml").read_text())
    conda_side = {normalise(d) for d in env["dependencies"] if isinstance(d, str)}
    conda_side -= {"python", "pip"}
    # ... and what it installs with pip (wheels conda-forge lacks), the kit itself aside
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    conda_side |= {normalise(d) for names in pip_lists for d in names if not d.startswith("-")}
    assert conda_side == pip_side


def test_readme_names_the_two_commands_and_ci_runs_the_test_one():
    readme = (KIT_ROOT / "README.md").read_text()
    assert "./kit demo" in readme and "./kit test" in readme
    assert "./kit test" in (KIT_ROOT / ".ci" / "run").read_text()


def test_the_student_bundle_asks_for_kit_dependencies_with_the_kit_s_pins():
    from autograder.bundle import STUDENT_REQUIREMENTS

    declared = tomllib.loads((KIT_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert set(STUDENT_REQUIREMENTS) <= set(declared)
    assert "pypandoc-binary==1.17" in STUDENT_REQUIREMENTS  # the PDF export's pinned pair
