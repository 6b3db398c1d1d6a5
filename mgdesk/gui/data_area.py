"""The window's points: the ones drawn on the boundary plot, and the ones a Reset keeps.

`DataArea(window)` connects the point editor (gui/point_editor.py) to the run shown:
points drawn or erased go to its trainer at once (`RunController.set_data`: taken before
the next step, the weights kept) and the settings then name the data "drawn points". A
Reset keeps the points shown unless a data setting changed, so a CSV edited on disk
changes nothing until it is imported again (importing the same file again counts). The
window asks `kept(config)` on Reset, `check(config)` when validating the settings, and
`refuse_empty()` before training.
"""

import html
from pathlib import Path

from PySide6.QtCore import QObject, Slot

from mgdesk.io.session import SHARED_DATA
from mgdesk.train.drawn import DRAWN, fit_labels

__all__ = ["DataArea"]


class DataArea(QObject):
    """The points of `window`'s run: drawn, kept on Reset, read again on import."""

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self._reread_csv = False  # a CSV was imported: the next Reset reads it again
        window.points.points_edited.connect(self._on_points_points_edited)
        window.points.note_posted.connect(self._on_points_note_posted)
        window.panel.csv_imported.connect(self._on_panel_csv_imported)

    # ---- asked by the window ----

    def check(self, config):
        """ConfigError (marked at its field) when the drawn points do not fit `config`,
        e.g. points of 3 classes with 2 set."""
        if config.dataset == DRAWN:
            fit_labels(self.w.points.data, config)

    def kept(self, config):
        """The points a Reset with `config` trains on, or None to make them from the
        settings: the drawn points, or the points shown when no data setting changed."""
        if config.dataset == DRAWN:  # (drawn points are not made from the settings)
            return fit_labels(self.w.points.data, config)  # (checked in `check`)
        run, reread, self._reread_csv = self.w.run, self._reread_csv, False
        if reread or not run.ready or run.applied is None:
            return None
        same = all(getattr(config, k) == getattr(run.applied, k) for k in SHARED_DATA)
        return run.data if same else None

    def refuse_empty(self):
        """True (and say so) when there is no training point to learn from."""
        data = self.w.run.data
        if data is None or data.x_train:
            return False
        self.w.banner.show_message(
            "info",
            "<b>No training points.</b> Draw some on the boundary plot: <b>Edit points</b> "
            "(E), then click.",
        )
        return True

    # ---- news ----

    @Slot(object)
    def _on_points_points_edited(self, data):
        """Points drawn or erased: the network shown trains on them from its next step,
        keeping its weights; the settings now say the data are the drawn points."""
        w, run = self.w, self.w.run
        if run.applied is None:
            return
        if not data.x_train and run.running:
            w.pause()
            w.statusBar().showMessage("No training point left: training paused", 5000)
        w.runner.set_data(data, run.applied.replace(dataset=DRAWN, csv_path=None))
        w.panel.show_drawn()  # (the same as applied: no "applies on Reset")
        w.boundary.show_points(data)
        w.show_points_edited()
        kind, index = run.traced
        if index >= len(data.x_train if kind == "train" else data.x_test):
            run.traced = ("train", 0)
        w.boundary.set_traced(*run.traced)
        w.graph.request()  # (with no point left, it says to draw some)

    @Slot(str)
    def _on_points_note_posted(self, message):
        self.w.statusBar().showMessage(message, 6000)

    @Slot(str)
    def _on_panel_csv_imported(self, path):
        """A CSV file imported: the next Reset reads it, also when it is the same file
        again (its points may have been edited)."""
        self._reread_csv = True
        run = self.w.run
        if run.applied is None or run.applied.dataset != "csv" or run.applied.csv_path != path:
            return  # a new file: a change of the settings like any other
        if not run.running and run.step == 0 and run.config is not None:
            self.w.reset_to(run.config)  # nothing trained yet: at once, as a new file
            return
        self.w.banner.show_message(
            "info",
            f"You imported <b>{html.escape(Path(path).name)}</b> again: its points apply "
            "when you press <b>Reset</b> (R).",
        )
