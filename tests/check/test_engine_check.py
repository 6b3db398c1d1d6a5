"""`mgdesk check-engine`: the learner's own engine, seeded mutants of it, and bad files."""

import dataclasses
import json
import textwrap

import pytest
from learner_notes import code_blocks, engine_source, mutant, network_source

import mgdesk.check.runner as runner
from mgdesk.check import CheckError, run_checks
from mgdesk.check.checks import CHECKS
from mgdesk.cli import main

NO_SPEED = [c.name for c in CHECKS if c.name != "speed of a training step"]


def write(tmp_path, source, name="engine.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def check_json(capsys, path, *options):
    code = main(["check-engine", str(path), "--json", *options])
    out = capsys.readouterr().out
    report = json.loads(out)
    return code, report, {c["name"]: c for c in report["checks"]}


def statuses(path, names=NO_SPEED, **kwargs):
    return {r["name"]: r for r in run_checks(path, names=names, **kwargs)}


# ---- the learner's own code (loaded from their notes at test time) ----


def test_the_learners_engine_passes_what_it_implements_and_fails_the_deep_chain(tmp_path, capsys):
    path = write(tmp_path, engine_source() + "\n\n" + network_source())
    code, report, checks = check_json(capsys, path)
    assert code == 1 and report["passed"] is False
    assert set(checks) == {c.name for c in CHECKS}
    assert all(set(c) == {"name", "status", "hint"} for c in report["checks"])
    failed = {name for name, c in checks.items() if c["status"] != "pass"}
    # what their Value lacks is reported missing, not failed
    missing = {"2 - a", "2 / a", "relu", "log", "sigmoid", "zero_grad()"}
    assert {n for n, c in checks.items() if c["status"] == "missing"} == missing
    assert failed == missing | {"a chain of 10,000 operations"}
    chain = checks["a chain of 10,000 operations"]
    assert chain["status"] == "fail"
    assert "recursive topological sort (`build_topo`" in chain["hint"]
    assert "explicit stack" in chain["hint"]
    depth = int(chain["hint"].split("RecursionError at depth ")[1].split()[0])
    assert 900 < depth < 1000  # about Python's recursion limit of 1000
    assert "add `__rsub__`" in checks["2 - a"]["hint"]
    assert "add `__rtruediv__`" in checks["2 / a"]["hint"]
    assert "OverflowError" in checks["tanh"]["hint"]  # their exp formula, noted on a pass
    assert "agree with finite differences" in checks["MLP gradients"]["hint"]
    assert "yours" in checks["speed of a training step"]["hint"]
    assert "-4 and 4" in checks["backward() twice"]["hint"]  # micrograd's way, and PyTorch's


def test_mutant_assigning_in_add_is_caught_by_the_accumulation_check(tmp_path):
    source = mutant(engine_source(), "grad += 1.0 * out.grad", "grad = 1.0 * out.grad", count=2)
    results = statuses(write(tmp_path, source))
    add = results["a + a accumulates"]
    assert add["status"] == "fail"
    assert "`__add__`'s backward assigns `self.grad = out.grad`" in add["hint"]
    assert "gives a.grad = 1.0, expected 2.0" in add["hint"] and "use `+=`" in add["hint"]
    assert results["a value used in two branches"]["status"] == "fail"
    assert results["a + b"]["status"] == "pass"  # one use of each input: no difference


def test_mutant_assigning_in_mul_is_caught_by_x_times_x(tmp_path):
    source = mutant(engine_source(), "self.grad += other.data", "self.grad = other.data")
    source = mutant(source, "other.grad += self.data", "other.grad = self.data")
    result = statuses(write(tmp_path, source), names=["x * x accumulates"])["x * x accumulates"]
    assert result["status"] == "fail" and "`__mul__`'s backward assigns with `=`" in result["hint"]


def test_mutant_with_a_wrong_tanh_derivative_is_caught(tmp_path):
    source = mutant(engine_source(), "(1 - t**2) * out.grad", "(1 - t) * out.grad")
    results = statuses(write(tmp_path, source))
    tanh = results["tanh"]
    assert tanh["status"] == "fail"
    assert "`tanh`'s backward gives a.grad" in tanh["hint"]
    assert "1 - t**2 with t = tanh(x)" in tanh["hint"]
    assert results["exp"]["status"] == "pass" and results["a * b"]["status"] == "pass"


def test_mutant_ignoring_out_grad_is_told_about_the_chain_rule(tmp_path):
    source = mutant(engine_source(), "self.grad += out.data * out.grad", "self.grad += out.data")
    exp = statuses(write(tmp_path, source), names=["exp"])["exp"]
    assert exp["status"] == "fail" and "ignores out.grad" in exp["hint"]
    assert "chain rule" in exp["hint"]


def test_mutant_without_a_reflected_op_is_reported_missing_with_the_fix(tmp_path):
    source = mutant(
        engine_source(),
        "    def __rmul__(self, other): # other * self\n        return self * other\n",
        "",
    )
    path = write(tmp_path, source)
    results = statuses(path)
    assert results["2 * a"]["status"] == "missing"
    assert results["2 * a"]["hint"] == "`2 * a` fails: add `__rmul__` (return self * other)"
    assert results["a * 2"]["status"] == "pass"


def test_the_notes_own_sanity_check_block_shows_the_bug_the_checker_names():
    """The notes end with their own `=` experiment: the checker's hint uses their words."""
    assert any("Should be 2.0, got:" in block for block in code_blocks())


# ---- engines that pass, and how the checks run ----


def test_mgdesks_own_value_passes_everything(tmp_path, capsys):
    path = write(tmp_path, "from mgdesk.engine import MLP, Value\n")
    code, report, checks = check_json(capsys, path)
    assert code == 0 and report["passed"] is True
    assert {c["status"] for c in report["checks"]} == {"pass"}, [
        c for c in report["checks"] if c["status"] != "pass"
    ]


def test_the_text_report_lists_each_check_and_the_verdict(tmp_path, capsys):
    source = mutant(engine_source(), "(1 - t**2) * out.grad", "(1 - t) * out.grad")
    path = write(tmp_path, source + "\nprint('hello from the learner')\n")
    code = main(["check-engine", str(path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "hello from the learner" not in out  # their prints do not reach the report
    assert "  fail     tanh\n           `tanh`'s backward" in out
    assert "  missing  relu\n" in out and "  pass     a * b\n" in out
    assert out.splitlines()[-1].startswith("FAILED: ") and "2 fail" in out.splitlines()[-1]


def test_another_class_name_is_picked_with_class(tmp_path, capsys):
    path = write(tmp_path, "from mgdesk.engine import Value as Scalar\n")
    code, report, _ = check_json(capsys, path, "--class", "Scalar")
    assert code == 0


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("        while True:\n            pass\n", "time limit"),  # runs forever
        ("        import os\n        os._exit(3)\n", "exit code 3"),  # ends the process
    ],
    ids=["endless-loop", "exit"],
)
def test_a_check_that_hangs_or_kills_its_process_is_an_error_and_the_rest_run(
    tmp_path, monkeypatch, body, words
):
    monkeypatch.setattr(
        runner, "CHECKS", tuple(dataclasses.replace(c, seconds=1.5) for c in CHECKS)
    )
    source = "from mgdesk.engine import Value as Ours\nclass Value(Ours):\n    def exp(self):\n"
    results = statuses(write(tmp_path, source + body), names=["a + b", "exp", "relu"])
    assert results["exp"]["status"] == "error" and words in results["exp"]["hint"]
    assert results["a + b"]["status"] == results["relu"]["status"] == "pass"


def test_results_arrive_one_by_one_and_stop_ends_the_run(tmp_path):
    import threading

    stop = threading.Event()
    seen = []

    def on_result(result):
        seen.append(result["name"])
        stop.set()

    path = write(tmp_path, "from mgdesk.engine import Value\n")
    results = run_checks(path, on_result=on_result, stop=stop)
    assert seen == [r["name"] for r in results] == [CHECKS[0].name]


# ---- files that cannot be checked: exit 2, one line ----


@pytest.mark.parametrize(
    ("name", "source", "words"),
    [
        ("engine.py", "class Value:\n    def __init__(self, data)\n", "engine.py line 2"),
        ("engine.py", "import no_such_module_here\n", "ModuleNotFoundError at line 1"),
        ("engine.py", "raise SystemExit(0)\n", "called exit()"),
        ("engine.py", "class Scalar:\n    pass\n", "no class Value (it defines Scalar"),
        ("engine.txt", "class Value: pass\n", "not a Python file"),
    ],
)
def test_a_file_that_cannot_be_loaded_exits_2_with_the_reason(
    tmp_path, capsys, name, source, words
):
    path = write(tmp_path, source, name)
    assert main(["check-engine", str(path)]) == 2
    captured = capsys.readouterr()
    assert words in captured.err and captured.err.count("\n") == 1
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "__pycache__").exists()  # nothing written beside their file


@pytest.mark.parametrize("where", ["nowhere.py", "."])
def test_a_bad_path_exits_2(tmp_path, capsys, where):
    assert main(["check-engine", str(tmp_path / where)]) == 2
    err = capsys.readouterr().err
    assert ("no such file" in err or "folder" in err) and err.count("\n") == 1


def test_run_checks_raises_check_error_for_a_bad_file(tmp_path):
    with pytest.raises(CheckError, match="no class Value"):
        run_checks(write(tmp_path, "x = 1\n"))


def test_without_the_notes_the_tests_that_need_them_skip_with_a_reason(monkeypatch, tmp_path):
    import learner_notes

    monkeypatch.setattr(learner_notes, "NOTES", tmp_path / "shared" / "LEARNER_NOTES.md")
    with pytest.raises(pytest.skip.Exception, match="notes .* are absent"):
        learner_notes.engine_source()
    assert learner_notes.NOTES.name == "LEARNER_NOTES.md"


def test_a_relu_at_its_kink_is_skipped_not_failed():
    """Biases start at 0: a second-layer neuron whose inputs are all 0 sits exactly at ReLU's
    kink, where nudging its bias up and down gives two slopes. That is no backward bug."""
    from mgdesk.check.networks import check_mlp
    from mgdesk.engine import MLP
    from mgdesk.engine import Value as V

    class LearnerFile:
        @staticmethod
        def MLP(nin, nouts):
            model = MLP(nin, nouts, seed=3)
            for neuron in model.layers[0].neurons:  # every first-layer output is relu(0) = 0
                for w in neuron.w:
                    w.data = 0.0
            return model

    status, hint = check_mlp(V, LearnerFile)
    assert status == "pass" and "kink" in hint, hint
