"""Layers point one way: apps import kalytera, kalytera imports no app, and no cycles."""

import subprocess
import sys
from pathlib import Path

from kalytera import import_graph

ROOT = Path(__file__).resolve().parents[2]


def test_the_project_package_imports_no_app():
    assert import_graph.graph()["kalytera"] == set()


def test_the_apps_import_each_other_without_cycles():
    assert import_graph.cycles(import_graph.graph()) == []


def test_the_graph_counts_imports_inside_functions(tmp_path):
    sources = {"one": "def f():\n    from two import models\n", "two": "import one.views\n"}
    for name, source in sources.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "apps.py").write_text("")
        (tmp_path / name / "code.py").write_text(source)
    edges = import_graph.graph(tmp_path)
    assert edges == {"one": {"two"}, "two": {"one"}}
    assert import_graph.cycles(edges) == [["one", "two", "one"]]


def test_the_command_prints_the_graph_and_fails_on_a_cycle_or_an_app_import():
    result = subprocess.run(
        [sys.executable, "-m", "kalytera.import_graph"], cwd=ROOT, capture_output=True, text=True
    )
    assert "kalytera -> (nothing)" in result.stdout
    assert "no cycles" in result.stdout
    assert result.returncode == 0
