"""How heavy is a long run's session? Loading a 1,000,000-step session, and continuing it.

Workload (issue 9, item 25): a session of micrograd's demo network (16,16 on 100 moons)
whose history holds 1,000,000 steps (the step limit minus one, then continued by one step):

    load       load_session(path) in a fresh process: time, and the process's peak memory
    continue   `mgdesk train --load run.json --steps 1 --save run.json --quiet` in a fresh
               process: time and peak memory (loading, one step, saving again)

Targets: load <= 3 s and <= 200 MB. Before the compact history (a StepStats object per step,
and a JSON object per step in the file) continuing took 45 s and 1.7 GB.

    .venv/bin/python benchmarks/bench_session.py [--steps N]
"""

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # mgdesk without install

from mgdesk.io import save_session  # noqa: E402
from mgdesk.train import TrainConfig, Trainer  # noqa: E402
from mgdesk.train.history import History  # noqa: E402

MEASURE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
start = time.perf_counter()
{work}
seconds = time.perf_counter() - start
try:  # this process's own high-water mark (ru_maxrss can carry the parent's across exec)
    status = open("/proc/self/status").read()
    peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
except (OSError, IndexError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
print(json.dumps({{"seconds": seconds, "peak_mb": peak}}))
"""

LOAD = "from mgdesk.io import load_session; load_session({path!r})"
CONTINUE = (
    "from mgdesk.cli import main; "
    "assert main(['train', '--load', {path!r}, '--steps', '1', '--save', {path!r}, '--quiet']) == 0"
)
BASELINE = "import mgdesk.cli, mgdesk.io"  # the interpreter and the imports alone


def long_session(path, steps):
    """A real 10-step run of the demo network, its history stretched to `steps` steps with
    numbers as varied as a real run's (noisy losses compress badly; accuracies and the
    learning rate repeat)."""
    config = TrainConfig(test_split=0.2, steps=10)
    trainer = Trainer(config)
    list(trainer.run(None, config.steps))
    rng = random.Random(1)
    last = trainer.history[-1]
    history = History()
    history.column("step").extend(range(1, steps + 1))
    for name in ("train_loss", "test_loss", "grad_norm", "ms_per_step"):
        history.column(name).extend(
            getattr(last, name) * (0.5 + rng.random()) for _ in range(steps)
        )
    for name in ("train_acc", "test_acc"):
        history.column(name).extend(rng.randrange(60, 81) / 80 for _ in range(steps))
    history.column("lr").extend(max(0.1, 1 - 0.9 * k / steps) for k in range(steps))
    total, elapsed = 0.0, history.column("elapsed")
    for ms in history.column("ms_per_step"):
        total += ms / 1000
        elapsed.append(total)
    save_session(path, config.replace(steps=steps), trainer.model, history, data=trainer.data)


def measure(work):
    code = MEASURE.format(root=str(ROOT), work=work)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600
    )
    return json.loads(done.stdout.splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=999_999, help="steps saved (999,999)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "run.json")
        long_session(path, args.steps)
        size = Path(path).stat().st_size / 1e6
        print(f"session of {args.steps:,} steps: {size:.1f} MB on disk")
        base = measure(BASELINE)
        print(f"  python + imports        {base['seconds']:6.2f} s  peak {base['peak_mb']:6.0f} MB")
        load = measure(LOAD.format(path=path))
        print(
            f"  load                    {load['seconds']:6.2f} s  peak {load['peak_mb']:6.0f} MB"
            f"   (target <= 3 s, <= 200 MB)"
        )
        more = measure(CONTINUE.format(path=path))
        print(
            f"  continue by one step    {more['seconds']:6.2f} s  peak {more['peak_mb']:6.0f} MB"
            "   (was 45 s, 1.7 GB)"
        )
        ok = load["seconds"] <= 3 and load["peak_mb"] <= 200
        print("load within target" if ok else "load ABOVE TARGET")


if __name__ == "__main__":
    main()
