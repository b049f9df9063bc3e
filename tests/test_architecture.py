"""The layout keeps its promises: the domain never imports job bodies; every job kind
declared in webapp.jobs names a real job body in workers/."""

import ast
import importlib
from pathlib import Path

from webapp import jobs

ROOT = Path(__file__).resolve().parent.parent


def _imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_no_webapp_module_imports_workers():
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / "webapp").rglob("*.py"))
        for name in _imports(path)
        if name == "workers" or name.startswith("workers.")
    ]
    assert offenders == []


def test_every_job_kind_names_its_body_in_workers():
    for kind in jobs.KINDS:
        module, name = kind.func.rsplit(".", 1)
        assert module.startswith("workers."), kind
        fn = getattr(importlib.import_module(module), name)
        assert getattr(fn, "kind", None) is kind, f"{kind.func} is not declared with its kind"


def test_periodic_job_ids_change_with_their_definition():
    first = jobs.Periodic(jobs.SWEEP, interval=30)
    assert first.job_id == jobs.Periodic(jobs.SWEEP, interval=30).job_id
    assert first.job_id != jobs.Periodic(jobs.SWEEP, interval=60).job_id
    assert first.job_id.replace("-", "").isalnum()
