"""Every recipe of the README's "More problems" block reaches the figures its comment says."""

import json
import re
import shlex
from pathlib import Path

import pytest

from mgdesk.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def recipes():
    """(options, {figure: value}) per `mgdesk train` line of the recipes block."""
    text = README.read_text(encoding="utf-8")
    block = text.split("## More problems: recipes", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    found, command = [], ""
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("#"):
            figures = {
                f"{part}_acc": float(value) / (100 if unit == "%" else 1)
                for part, _, value, unit in re.findall(
                    r"(train|test) (accuracy|R²) ([\d.]+)(%?)", line
                )
            }
            found.append((shlex.split(command)[2:], figures))
            command = ""
        else:
            command += " " + line.rstrip("\\")
    return found


RECIPES = recipes()


def test_the_readme_has_the_recipes():
    assert len(RECIPES) == 7 and all(len(figures) == 2 for _, figures in RECIPES)


@pytest.mark.parametrize("options, figures", RECIPES, ids=[" ".join(o[:2]) for o, _ in RECIPES])
def test_each_recipe_reaches_what_the_readme_says(capsys, options, figures):
    assert main(["train", "--json", "--quiet", *options]) == 0
    final = json.loads(capsys.readouterr().out.splitlines()[-1])
    for key, value in figures.items():
        # the README rounds: 98.3% is anything from 98.25%, R² 0.979 from 0.9785
        assert final[key] >= value - 0.0005, (key, final[key], value)
