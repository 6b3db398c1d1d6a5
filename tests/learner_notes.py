"""The learner's own micrograd code, read at test time from their notes (never copied here).

The notes live beside the repository: `../shared/LEARNER_NOTES.md`, relative to the
repository's folder. Their code blocks are taken as written; tests that need them skip
with a reason when the notes are not there.

    source = engine_source()     # the notes' `Value` class, as a file's text
    learner = learner_module()   # Value + Neuron / Layer / MLP + trace / draw_dot, loaded
"""

import importlib.util
import re
import tempfile
from pathlib import Path

import pytest

NOTES = Path(__file__).resolve().parent.parent.parent / "shared" / "LEARNER_NOTES.md"
SKIP_REASON = "the learner's notes (../shared/LEARNER_NOTES.md beside the repository) are absent"


def code_blocks():
    """Every ```python block of the notes, in order; skips the test when they are absent."""
    if not NOTES.is_file():
        pytest.skip(SKIP_REASON)
    text = NOTES.read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def _block(defines):
    """The first block that defines `defines` (e.g. 'class Value' or 'def draw_dot')."""
    for block in code_blocks():
        if re.search(rf"^{defines}\b", block, flags=re.MULTILINE):
            return block
    pytest.fail(f"the learner's notes no longer define {defines}")


def engine_source():
    """The notes' `Value` class: the block that defines it with its backward()."""
    return _block("class Value")


def network_source():
    """The notes' Neuron / Layer / MLP block (it needs `Value` and `random`)."""
    return _block("class MLP")


def graph_source():
    """The notes' trace / draw_dot block."""
    return _block("def draw_dot")


_module = None


def learner_module():
    """Their Value, Neuron, Layer, MLP, trace and draw_dot as one file, as they would paste
    them, imported from a temporary folder. Without the graphviz package the draw_dot block
    (which imports it at the top) is left out."""
    global _module
    if _module is None:
        blocks = [engine_source(), network_source()]
        if importlib.util.find_spec("graphviz") is not None:
            blocks.append(graph_source())
        path = Path(tempfile.mkdtemp(prefix="learner-")) / "learner_micrograd.py"
        path.write_text("\n\n".join(blocks), encoding="utf-8")
        spec = importlib.util.spec_from_file_location("learner_micrograd", path)
        _module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_module)
    return _module


def mutant(source, old, new, count=None):
    """`source` with `old` replaced by `new`; fails the test if `old` is not there, so a
    mutant can never silently be the original code."""
    found = source.count(old)
    assert found and (count is None or found == count), f"{old!r} found {found} times"
    return source.replace(old, new)
