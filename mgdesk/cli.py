"""Command line: no sub-command opens the window; train / graph / gradcheck run headless."""


def main(argv=None):
    from mgdesk.gui.app import run

    return run()
