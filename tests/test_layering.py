"""The core (dialogue, sessions, generators) must run without a terminal UI,
and imports run one way: holochat -> dialogue -> sessions -> generators."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
ORDER = ["holochat", "dialogue", "sessions", "generators"]

BLOCK_TEXTUAL = r"""
import sys, importlib.abc
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "textual" or name.startswith("textual.") or name.startswith("textual_image"):
            raise ImportError(f"{name} is blocked: the core must not need a terminal UI")
sys.meta_path.insert(0, _Block())
import pkgutil, importlib
for pkg in ("generators", "sessions", "dialogue"):
    mod = importlib.import_module(pkg)
    for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
        importlib.import_module(info.name)
bad = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual"))
assert not bad, bad
print("ok")
"""


def test_core_imports_without_textual():
    r = subprocess.run([sys.executable, "-c", BLOCK_TEXTUAL], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().endswith("ok")


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_imports_run_one_way():
    violations = []
    for i, pkg in enumerate(ORDER):
        leftward = set(ORDER[:i])
        for path in (ROOT / pkg).rglob("*.py"):
            bad = _imports(path) & leftward
            if bad:
                violations.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not violations, "\n".join(violations)


def test_help_is_fast_and_light():
    code = ("import sys, time; t=time.perf_counter(); from holochat.cli import build_parser; "
            "build_parser(); heavy=[m for m in ('torch','sentence_transformers','textual') "
            "if m in sys.modules]; print(heavy)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]", f"heavy modules imported by --help: {r.stdout}"
