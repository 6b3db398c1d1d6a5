"""Does the window stay responsive? The GUI targets of issue 5, measured in one run.

    1. responsiveness  a 10 ms QTimer in the GUI thread while the window trains the demo
                       recipe (100 moons, noise 0.1, 16,16 ReLU, hinge, L2 1e-4, lr 1.0) with
                       the loss plot, boundary and graph view live: longest gap <= 30 ms
                       and >= 2,000 steps/s (idle, not training, measured too for
                       comparison); then the same gap target with 64,64 on 1,000 points
    2. launch          a fresh process opens the window as `mgdesk` does: first paint of
                       the window <= 1.5 s after the process was started (imports included)
    3. memory          RSS after a warm-up vs after 10,000 steps in the window: flat
    4. boundary        one boundary refresh at 16,16 (the worker's grid, then the image
                       update and repaint in the GUI thread): medians <= 100 ms
    5. compare mode    the demo as one run, then two 16,16 runs (relu vs tanh) in compare
                       mode, lockstep, every view live, one after the other in this run:
                       longest gap <= 30 ms, and each compared run >= 60% of the single
                       run's steps/s

The window is opened by `mgdesk.gui.app.run()` itself (so `tune_for_gui()` runs where the
app runs it) and driven from its event loop. Qt runs offscreen unless DISPLAY is set or
QT_QPA_PLATFORM says otherwise. Settings go to a temporary folder. Exits 0 whether or not
the targets are met (each prints PASS or FAIL); 1 only when the benchmark itself broke.

    .venv/bin/python benchmarks/bench_gui.py [--quick]
    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python benchmarks/bench_gui.py
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # mgdesk without install

GAP_TARGET_MS = 30.0
LAUNCH_TARGET_S = 1.5
MEMORY_TARGET_MB = 20.0
BOUNDARY_TARGET_MS = 100.0
RATE_TARGET = 2000  # steps/s of the demo in the window, every view live
COMPARE_SHARE = 0.6  # each compared run's steps/s, of the single run's
COMPARED = ("activation", "relu,tanh")  # the demo is relu: its run A is the single run
TICK_MS = 10
RUN_LIMIT = 1_000_000  # the step limit while measuring: training goes on throughout
BIG = dict(layers=(64, 64), samples=1000)  # "64,64 on 1,000 points stays responsive"
DEMO = dict(
    dataset="moons",
    samples=100,
    noise=0.1,
    layers=(16, 16),
    activation="relu",
    loss="hinge",
    l2=1e-4,
    lr=1.0,
)
MEMORY_NOTE = (
    "flat = RSS grows < {target:g} MB from the warm-up point to the end. The run's own\n"
    "   history must grow (one StepStats per step, kept by the trainer, the window and the\n"
    "   loss plot), estimated above; anything that leaked per refresh instead (a 64x64 grid\n"
    "   is 32 KB, a graph image up to 16 MB, and there are ~10 refreshes a second) would\n"
    "   pass {target:g} MB within a minute, well before the end of the run."
)


# ---- environment ----


def choose_platform():
    """Offscreen unless there is a display (or QT_QPA_PLATFORM names a platform)."""
    if not os.environ.get("QT_QPA_PLATFORM") and not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def isolate_settings(folder):
    """QSettings of this process and its children go to `folder`, never the user's."""
    os.environ["XDG_CONFIG_HOME"] = str(folder)
    os.environ["MGDESK_SETTINGS_ORG"] = "mgdesk-bench"


def rss_mb():
    """Resident memory of this process in MB (peak RSS where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (2**20 if sys.platform == "darwin" else 2**10)


def history_mb(history, lists=7):
    """Memory the StepStats of a run take: the objects, their numbers, and one slot in
    each of `lists` lists (trainer and window histories, five loss plot columns)."""
    seen, total = set(), 0
    for stats in history:
        parts = [stats, getattr(stats, "__dict__", None)]
        for part in parts + [getattr(stats, f.name) for f in fields(stats)]:
            if part is not None and id(part) not in seen:
                seen.add(id(part))
                total += sys.getsizeof(part)
    return (total + 8 * lists * len(history)) / 2**20


class GcWatch:
    """Collections of Python's cyclic GC (they hold the GIL) as (start, ms, what)."""

    def __init__(self):
        self.events = []
        self._started = {}
        self._gui = threading.get_ident()

    def __call__(self, phase, info):
        ident = threading.get_ident()
        if phase == "start":
            self._started[ident] = time.perf_counter()
        elif ident in self._started:
            start = self._started.pop(ident)
            where = "GUI thread" if ident == self._gui else "worker"
            what = f"gc gen{info['generation']} ({where})"
            self.events.append((start, 1000 * (time.perf_counter() - start), what))


def gaps_of(ticks):
    return [1000 * (b - a) for a, b in zip(ticks, ticks[1:])]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def verdict(ok):
    return "PASS" if ok else "FAIL"


# ---- 2. launch (a fresh process) ----


def launch_probe():
    """Child process: open the window as `mgdesk` does; print when it was first painted.

    The QApplication is made before `mgdesk.cli.main([])` runs (which then uses it, as
    `run()` takes an existing one), so that an event filter can see the first Expose and
    Paint; all the imports and the window's construction still happen in here."""
    marks = {"interpreter": time.monotonic()}
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    def window():
        return next(w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow")

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):
            kind = event.type()
            if kind == QEvent.Type.Expose:
                marks.setdefault("exposed", time.monotonic())
            elif kind == QEvent.Type.Paint and type(obj).__name__ == "MainWindow":
                if "paint" not in marks:
                    marks["paint"] = time.monotonic()
                    QTimer.singleShot(0, painted)  # runs once this paint is done
            return False

    def painted():
        marks["painted"] = time.monotonic()
        app.removeEventFilter(watcher)
        wait_ready()

    def wait_ready():
        w = window()
        if (w.ready and w.graph_view.graph is not None) or time.monotonic() - t0 > 30:
            marks["ready"] = time.monotonic()
            w.close()
        else:
            QTimer.singleShot(10, wait_ready)

    t0 = time.monotonic()
    app = QApplication(["mgdesk"])
    watcher = FirstPaint()
    app.installEventFilter(watcher)
    from mgdesk.cli import main

    marks["code"] = main([])
    print(json.dumps(marks))


def measure_launch(runs):
    """Seconds from process start to each mark, per run; plus a bare interpreter's start."""
    bare = []
    for _ in range(3):
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.monotonic() - start)
    results = []
    for _ in range(runs):
        start = time.monotonic()  # CLOCK_MONOTONIC is shared by all processes
        proc = subprocess.run(
            [sys.executable, __file__, "--launch-probe"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        lines = proc.stdout.strip().splitlines()
        if proc.returncode != 0 or not lines:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"the launch probe failed ({proc.returncode}): {tail}")
        marks = json.loads(lines[-1])
        results.append({k: v - start for k, v in marks.items() if k != "code"})
    return statistics.median(bare), results


def report_launch(bare, runs):
    print(f"\n2. Window shown after launch (fresh process, {len(runs)} runs)")
    print(f"   a bare `python -c pass` takes {1000 * bare:.0f} ms here")
    labels = (
        ("interpreter", "interpreter up"),
        ("exposed", "first Expose"),
        ("painted", "first paint done"),
        ("ready", "network and graph shown"),
    )
    for key, label in labels:
        values = "  ".join(f"{r[key]:6.3f}" for r in runs if key in r)
        print(f"   {label:<24} {values}  s")
    shown = statistics.median(r["painted"] for r in runs)
    ok = shown <= LAUNCH_TARGET_S
    print(f"   window shown (median of first paint done): {shown:.3f} s")
    print(f"   target <= {LAUNCH_TARGET_S} s: {verdict(ok)}")
    return ok


# ---- the window, driven from inside run()'s event loop ----


class Bench:
    """Waits and measurements inside the app's event loop (nested loops, never sleeps)."""

    def __init__(self, app, args):
        from PySide6.QtCore import QEventLoop, Qt, QTimer

        self.app, self.args = app, args
        self.QEventLoop, self.Qt, self.QTimer = QEventLoop, Qt, QTimer
        self.window = None
        self.config = None  # the demo recipe, once set
        self.results = {}
        self.error = None
        self._deadline = time.monotonic() + 10  # for run() to call tune_for_gui()

    # ---- waiting ----

    def wait(self, seconds):
        loop = self.QEventLoop()
        self.QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    def wait_until(self, condition, timeout, what):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:g} s for {what}")
            self.wait(0.02)

    # ---- measuring ----

    def timer_ticks(self, seconds):
        """perf_counter() at each tick of a 10 ms precise timer in the GUI thread."""
        ticks = []
        timer = self.QTimer()
        timer.setTimerType(self.Qt.TimerType.PreciseTimer)
        timer.setInterval(TICK_MS)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        timer.start()
        self.wait(seconds)
        timer.stop()
        return ticks

    def count_views(self, targets=None):
        """(start, ms) of each view's updates (in the GUI thread) from now on, and of the
        boundary grids the training thread computes. `targets`: (name, object, method)
        rows, the single run's views by default."""
        w = self.window
        targets = targets or (
            ("loss plot", w.loss_plot, "append"),
            ("boundary", w.boundary, "set_grid"),
            ("graph", w.graph_view, "show_graph"),
            ("grid", w.train_worker, "_grid"),  # runs in the training thread
        )
        counts = {name: [] for name, _, _ in targets}
        self._timed = []
        for name, obj, method in targets:
            original = getattr(obj, method, None)
            if original is None:
                continue
            self._timed.append((obj, method))

            def timed(*a, _original=original, _times=counts[name]):
                start = time.perf_counter()
                result = _original(*a)
                _times.append((start, 1000 * (time.perf_counter() - start)))
                return result

            setattr(obj, method, timed)
        return counts

    def restore_views(self):
        """Undo count_views(): the views' own methods again."""
        for obj, method in self._timed:
            delattr(obj, method)  # the instance attribute hid the class's method

    # ---- the steps ----

    def start(self):
        """Called from run()'s event loop; waits until run() has tuned the runtime."""
        import gc

        if gc.get_freeze_count() == 0 and time.monotonic() < self._deadline:
            self.QTimer.singleShot(10, self.start)  # tune_for_gui() not called yet
            return
        try:
            self.run_all()
        except BaseException as exc:  # report after the loop ends, never leave it hanging
            self.error = exc
            traceback.print_exc()
        finally:
            if self.window is not None:
                self.window.shutdown()
                self.window.close()
            self.app.quit()

    def run_all(self):
        import gc

        from mgdesk.gui import MainWindow

        self.window = next(w for w in self.app.topLevelWidgets() if isinstance(w, MainWindow))
        print(
            f"Qt platform: {self.app.platformName()} · tune_for_gui applied by run(): "
            f"{gc.get_freeze_count():,} objects frozen, "
            f"switch interval {1000 * sys.getswitchinterval():g} ms"
        )
        self.window.resize(1400, 900)
        self.wait_until(self.ready, 60, "the first network and graph")
        self.set_demo(RUN_LIMIT)
        self.boundary_refresh()
        self.results["idle"] = gaps_of(self.timer_ticks(self.args.seconds))
        self.training()
        self.set_demo(RUN_LIMIT, **BIG)
        self.results["big"] = self.responsiveness()
        self.window.pause()
        self.results["compare"] = self.compare_mode()

    def ready(self):
        return self.window.ready and self.window.graph_view.graph is not None

    def set_demo(self, steps, **changes):
        """The demo recipe (with `changes`) in the window's controls (step limit `steps`),
        then Reset."""
        from mgdesk.train import TrainConfig

        config = TrainConfig().replace(steps=steps, **{**DEMO, **changes})
        w = self.window
        w.panel.set_config(config)
        if w.panel.config() != config:
            raise RuntimeError(f"the controls show {w.panel.config()}, not {config}")
        w.reset()
        self.wait_until(self.ready, 60, "the demo network")
        self.wait(1.0)  # let the first boundary and graph of the new network arrive
        self.config = config
        shown = ", ".join(f"{k}={v}" for k, v in config.to_dict().items() if k != "csv_path")
        print(f"Demo recipe in the window's controls: {shown}")

    def responsiveness(self, run=None, targets=None):
        """Train (the step limit is far away): a warm-up, then the timer's ticks, the views
        updated and the GC meanwhile, and the steps done. `run`: what trains and counts
        the steps (.running, .step), the single run by default; `targets`: see count_views."""
        import gc

        w = self.window
        run = run or w.run
        w.train()
        if not run.running:
            raise RuntimeError("Train did not start")
        self.wait(2.0)  # warm-up: first snapshots, boundary and graph of the running net
        counts = self.count_views(targets)
        watch = GcWatch()
        gc.callbacks.append(watch)
        first = (time.monotonic(), run.step)
        ticks = self.timer_ticks(self.args.seconds)
        last = (time.monotonic(), run.step)
        gc.callbacks.remove(watch)
        self.restore_views()
        return {
            "training": ticks,
            "views": {k: list(v) for k, v in counts.items()},
            "gc": list(watch.events),
            "gap_window": (last[0] - first[0], first[1], last[1]),
        }

    def compare_mode(self):
        """The demo as one run, then two runs of it (relu vs tanh) in compare mode, each
        measured as `responsiveness` measures one, one right after the other."""
        from mgdesk.gui.compare_dialog import variants_for

        w = self.window
        self.set_demo(RUN_LIMIT)
        single = self.responsiveness()
        w.pause()
        self.wait_until(lambda: not w.running, 60, "the pause")
        compare = w.compare
        base = w.run.applied.replace(lr=w.run.config.lr)
        compare.start(variants_for(base, *COMPARED))
        self.wait_until(lambda: compare.ready, 60, "the compared runs")
        self.wait(1.0)  # their first boundaries and graph
        view = compare.view
        targets = (
            ("loss plot", w.loss_plot, "append_runs"),
            ("boundary A", view.boundaries[0], "set_grid"),
            ("boundary B", view.boundaries[1], "set_grid"),
            ("graph", w.graph_view, "show_graph"),
            ("grid", compare.worker, "_grids"),  # both runs' grids, in the training thread
        )
        both = self.responsiveness(compare, targets)
        w.pause()
        self.wait_until(lambda: not compare.running, 60, "the pause")
        steps = [len(h) for h in compare.histories]
        compare.leave()
        return {
            "single": single,
            "compare": both,
            "labels": compare.short_labels,
            "steps": steps,
            "ceiling": lockstep_ceiling(base, variants_for(base, *COMPARED)),
        }

    def training(self):
        """Train the demo: timer gaps first, then on to `--steps` steps; RSS all along."""
        w = self.window
        steps = self.args.steps
        warmup = max(300, steps // 10)
        samples = []  # (time, step, rss)
        sampler = self.QTimer()
        sampler.setInterval(1000)
        sampler.timeout.connect(lambda: samples.append((time.monotonic(), w.step_count, rss_mb())))
        samples.append((time.monotonic(), 0, rss_mb()))
        sampler.start()
        self.results.update(self.responsiveness())
        self.wait_until(lambda: w.step_count >= steps, steps / 10 + 60, f"{steps:,} steps")
        w.pause()
        self.wait_until(lambda: not w.running, 60, "the pause")
        wall = time.monotonic() - samples[0][0]
        self.wait(1.0)
        sampler.stop()
        samples.append((time.monotonic(), w.step_count, rss_mb()))
        trainer = w.train_worker.trainer
        self.results["memory"] = {
            "samples": samples,
            "warmup": warmup,
            "steps": w.step_count,
            "history": history_mb(trainer.history),
            "history_per_step": history_mb(trainer.history[:1000]) / 1000,
            "rate": w.step_count / wall,
        }

    def boundary_refresh(self):
        """The worker's grid (model dict + scores over the plane, as `refresh_grid` makes it
        in the training thread, here run directly) and the GUI side (`set_grid` + repaint)."""
        from mgdesk.gui.train_worker import TrainWorker

        w = self.window
        worker = TrainWorker()  # its own gate, always open: nothing is drawing meanwhile
        snapshots = []
        worker.yielded.connect(snapshots.append)
        worker.latest_generation = 1
        worker.reset(1, self.config)
        for _ in range(100):  # a trained network, not the initial one
            worker.trainer.step_once()
        worker.set_bounds(w.boundary.plane or snapshots[-1].bounds)  # the reset's grid's
        grid, gui = [], []
        for _ in range(self.args.repeats + 1):
            start = time.perf_counter()
            worker.refresh_grid(1)
            grid.append(1000 * (time.perf_counter() - start))
            snap = snapshots[-1]
            self.app.processEvents()
            start = time.perf_counter()
            w.boundary.set_grid(snap.grid, snap.grid_size, snap.bounds)
            w.boundary.viewport().repaint()
            gui.append(1000 * (time.perf_counter() - start))
        self.results["boundary"] = {
            "grid": grid[1:],  # the first is a warm-up
            "gui": gui[1:],
            "size": snap.grid_size,
        }
        self.wait(0.5)


# ---- reports ----


def gap_line(gaps):
    return (
        f"max {max(gaps):6.1f}  p99 {percentile(gaps, 99):5.1f}  p95 {percentile(gaps, 95):5.1f}"
        f"  median {statistics.median(gaps):5.1f} ms  ({len(gaps) + 1} ticks)"
    )


def report_gaps(results, seconds, title="the demo", rate_target=RATE_TARGET):
    ticks = results["training"]
    busy = gaps_of(ticks)
    span, s0, s1 = results["gap_window"]
    rate = (s1 - s0) / span
    print(f"   training {title}: {gap_line(busy)}")
    print(f"   meanwhile: steps {s0:,} -> {s1:,} ({rate:,.0f} steps/s); views updated:")
    views = dict(results["views"])
    grids = [ms for _, ms in views.pop("grid")]
    for name, calls in views.items():
        times = [ms for _, ms in calls]
        med = f", median {statistics.median(times):.1f} ms per call" if times else ""
        print(f"     {name:<10} {len(times):4} times ({len(times) / span:.1f}/s{med})")
    if grids:
        print(
            f"   boundary grids computed by the training thread meanwhile: {len(grids)}, "
            f"median {statistics.median(grids):.0f} ms, max {max(grids):.0f} ms each "
            "(gate waits and GIL sharing included)"
        )
    report_long_gaps(ticks, results)
    live = all(views.values())
    ok = max(busy) <= GAP_TARGET_MS and live
    print(f"   target: longest gap while training {title} <= {GAP_TARGET_MS:g} ms", end="")
    print("" if live else " (and every view updating)", end="")
    print(f": {verdict(ok)}")
    if rate_target:
        fast = rate >= rate_target
        print(f"   target: {title} trains at >= {rate_target:,} steps/s: {verdict(fast)}")
        ok = ok and fast
    return ok


def report_responsiveness(results, seconds):
    print(f"\n1. GUI thread responsiveness: a {TICK_MS} ms timer, {seconds:g} s each")
    print(f"   idle       {gap_line(results['idle'])}")
    demo = report_gaps(results, seconds)
    big = ", ".join(f"{k} {v}" for k, v in BIG.items())
    big_ok = report_gaps(results["big"], seconds, f"the demo with {big}", rate_target=0)
    return demo and big_ok


def report_long_gaps(ticks, results, shown=5):
    """The GC pauses, and what else ran, during the gaps above the target."""
    events = list(results["gc"])
    for name, calls in results["views"].items():
        events += [(start, ms, name) for start, ms in calls]
    collections = results["gc"]
    worst = max((ms for _, ms, _ in collections), default=0.0)
    full = sum(what.startswith("gc gen2") for _, _, what in collections)
    print(
        f"   GC collections meanwhile: {len(collections)} ({full} full), longest {worst:.1f} ms;"
        f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    long = [(b, 1000 * (b - a)) for a, b in zip(ticks, ticks[1:]) if b - a > GAP_TARGET_MS / 1000]
    if not long:
        return
    print(
        f"   gaps over {GAP_TARGET_MS:g} ms: {len(long)}; the longest, with what overlapped them:"
    )
    for end, gap in sorted(long, key=lambda item: -item[1])[:shown]:
        begin = end - gap / 1000
        seen = [
            f"{what} {ms:.0f} ms"
            for start, ms, what in sorted(events)
            if start < end and start + ms / 1000 > begin and ms >= 1
        ]
        what = ", ".join(seen) or "no GC, no view update (painting, GIL waits, the OS?)"
        print(f"     {gap:5.1f} ms at t+{begin - ticks[0]:5.2f} s: {what}")


def report_memory(memory):
    samples = memory["samples"]
    steps, warmup = memory["steps"], memory["warmup"]
    print(f"\n3. Memory over {steps:,} steps in the window")
    base = next((s for s in samples if s[1] >= warmup), samples[-1])
    end = samples[-1]
    marks = [samples[0], base] + [
        next(s for s in samples if s[1] >= steps * k / 5 or s is end) for k in (1, 2, 3, 4)
    ]
    for t, step, rss in sorted(set(marks + [end])):
        print(f"   t {t - samples[0][0]:6.1f} s  step {step:6,}  RSS {rss:7.1f} MB")
    growth = end[2] - base[2]
    per_step = memory["history_per_step"] * 1024**2
    print(f"   ({memory['rate']:.0f} steps/s over the whole run, with every view live)")
    later = memory["history"] * (steps - base[1]) / max(steps, 1)
    print(
        f"   growth after the warm-up (step {base[1]:,}): {growth:+.1f} MB; the run's history"
        f" takes {memory['history']:.1f} MB ({per_step:.0f} bytes/step), {later:.1f} MB of it"
        f" after the warm-up; growth beyond the history {growth - later:+.1f} MB"
    )
    print("   " + MEMORY_NOTE.format(target=MEMORY_TARGET_MB))
    ok = growth < MEMORY_TARGET_MB
    print(f"   target: growth < {MEMORY_TARGET_MB:g} MB: {verdict(ok)}")
    return ok


def report_boundary(boundary):
    grid, gui = statistics.median(boundary["grid"]), statistics.median(boundary["gui"])
    n = boundary["size"]
    print(f"\n4. Boundary refresh at 16,16 ({n}x{n} grid, medians of {len(boundary['grid'])})")
    print(f"   grid in the worker (model dict + {n * n:,} scores)  {grid:6.1f} ms")
    print(f"   GUI: set_grid + repaint of the boundary view    {gui:6.1f} ms")
    ok = grid <= BOUNDARY_TARGET_MS and gui <= BOUNDARY_TARGET_MS
    print(f"   together {grid + gui:.1f} ms")
    print(f"   target: each <= {BOUNDARY_TARGET_MS:g} ms: {verdict(ok)}")
    return ok


def lockstep_ceiling(config, variants, seconds=1.0):
    """Steps/s of one run, and of lockstep pairs, with no window (the most compare mode
    could give: a pair of steps is two steps' work in one thread)."""
    from mgdesk.train import Trainer
    from mgdesk.train.compare import Comparison, compare

    trainer = Trainer(config.replace(steps=RUN_LIMIT))
    start, done = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        trainer.step_once()
        done += 1
    single = done / (time.perf_counter() - start)
    comparison = Comparison.start(variants)
    start, done = time.perf_counter(), 0
    for _ in compare(comparison, None, RUN_LIMIT):
        done += 1
        if time.perf_counter() - start >= seconds:
            break
    return single, done / (time.perf_counter() - start)


def report_compare(results, seconds):
    print(f"\n5. Compare mode: two 16,16 runs ({' vs '.join(results['labels'])}) in lockstep, "
          f"{seconds:g} s each, right after the same demo as one run")  # fmt: skip
    single, both = results["single"], results["compare"]
    report_gaps(single, seconds, "the demo as one run", rate_target=0)
    ok = report_gaps(both, seconds, "two runs in compare mode", rate_target=0)
    rates = []
    for result in (single, both):
        span, s0, s1 = result["gap_window"]
        rates.append((s1 - s0) / span)
    share = rates[1] / rates[0] if rates[0] else 0.0
    gaps = [max(gaps_of(result["training"])) for result in (single, both)]
    print(
        f"   side by side: one run {rates[0]:,.0f} steps/s, gap {gaps[0]:.1f} ms; compare mode"
        f" {rates[1]:,.0f} steps/s for each run (lockstep: step k of both together;"
        f" {2 * rates[1]:,.0f} steps/s in all), gap {gaps[1]:.1f} ms"
    )
    alone, pairs = results["ceiling"]
    print(
        f"   without the window (1 s each): one run {alone:,.0f} steps/s, lockstep pairs "
        f"{pairs:,.0f}/s = {pairs / alone:.0%} of one run for each (a pair is two steps' work"
        " in one thread: the most compare mode can give)"
    )
    fast = share >= COMPARE_SHARE
    print(
        f"   target: each compared run >= {COMPARE_SHARE:.0%} of one run's steps/s: "
        f"{share:.0%}: {verdict(fast)}"
    )
    return ok and fast


def positive(kind):
    """An argparse type: a number of `kind` above 0."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not value > 0:
            raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")
        return value

    return parse


def quiet_offscreen_warnings():
    """Drop the offscreen plugin's 'does not support propagateSizeHints()' lines."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(mode, context, message):
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 steps, 5 s windows")
    parser.add_argument("--steps", type=positive(int), help="steps for the memory run (10,000)")
    parser.add_argument("--seconds", type=positive(float), help="length of each timer window (9 s)")
    parser.add_argument("--repeats", type=positive(int), default=15, help="boundary refreshes (15)")
    parser.add_argument("--launches", type=positive(int), default=3, help="fresh processes (3)")
    parser.add_argument("--launch-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    choose_platform()
    if args.launch_probe:
        launch_probe()
        return 0
    args.steps = args.steps or (2000 if args.quick else 10_000)
    args.seconds = args.seconds or (5.0 if args.quick else 9.0)

    with tempfile.TemporaryDirectory(prefix="mgdesk-bench-") as folder:
        isolate_settings(folder)
        bare, launches = measure_launch(args.launches)

        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        from mgdesk.gui import app as app_module

        quiet_offscreen_warnings()
        app = QApplication(["mgdesk"])  # run() takes this one; the timer below needs it
        bench = Bench(app, args)
        QTimer.singleShot(0, bench.start)
        code = app_module.run([])
        if bench.error is not None:
            print(f"\nbench_gui: the benchmark broke: {bench.error!r}", file=sys.stderr)
            return 1
        print(f"window closed, run() returned {code}")

        results = bench.results
        oks = {
            "1. GUI timer gap and steps/s while training": report_responsiveness(
                results, args.seconds
            ),
            "2. window shown after launch": report_launch(bare, launches),
            "3. memory flat over the run": report_memory(results["memory"]),
            "4. boundary refresh at 16,16": report_boundary(results["boundary"]),
            "5. compare mode: gap and steps/s of two runs": report_compare(
                results["compare"], args.seconds
            ),
        }
    print(f"\nSummary ({app.platformName()}{', quick' if args.quick else ''}):")
    for name, ok in oks.items():
        print(f"   {verdict(ok)}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
