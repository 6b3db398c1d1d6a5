"""Datasets: shapes, labels, determinism, and CSV import with errors naming the line."""

import math

import pytest

from mgdesk.train import ConfigError, CSVError, TrainConfig, load_csv, make_dataset

GENERATED = ("moons", "circles", "xor", "spiral", "blobs")


@pytest.mark.parametrize("name", GENERATED)
def test_shapes_labels_and_split(name):
    data = make_dataset(TrainConfig(dataset=name, samples=101, test_split=0.2))
    assert (len(data.x_test), len(data.y_test)) == (20, 20)
    assert (len(data.x_train), len(data.y_train)) == (81, 81)
    points = data.x_train + data.x_test
    assert all(len(p) == 2 and all(isinstance(v, float) and math.isfinite(v) for v in p)
               for p in points)  # fmt: skip
    labels = data.y_train + data.y_test
    assert set(labels) == {-1.0, 1.0}
    assert 40 <= labels.count(1.0) <= 61  # both classes are well represented
    assert data.name == name


@pytest.mark.parametrize("name", GENERATED)
def test_same_config_same_points_other_seed_other_points(name):
    config = TrainConfig(dataset=name, samples=50)
    assert make_dataset(config) == make_dataset(config)
    assert make_dataset(config) != make_dataset(config.replace(seed=7))


def test_no_test_split_means_an_empty_test_set():
    data = make_dataset(TrainConfig(test_split=0))
    assert len(data.x_train) == 100 and data.x_test == () and data.y_test == ()


def test_moons_without_noise_lie_on_two_half_circles():
    data = make_dataset(TrainConfig(samples=40, noise=0, test_split=0))
    for (x, y), label in zip(data.x_train, data.y_train):
        if label < 0:  # the upper moon: the unit half circle
            assert math.isclose(math.hypot(x, y), 1.0) and y >= -1e-12
        else:  # the lower moon, centred at (1, 0.5)
            assert math.isclose(math.hypot(x - 1, y - 0.5), 1.0) and y <= 0.5 + 1e-12


def test_noise_moves_the_points():
    clean = make_dataset(TrainConfig(noise=0, test_split=0))
    noisy = make_dataset(TrainConfig(noise=0.1, test_split=0))
    moved = [math.dist(a, b) for a, b in zip(sorted(clean.x_train), sorted(noisy.x_train))]
    assert max(moved) > 0.01


# ---- CSV ----


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_with_header_and_01_labels(tmp_path):
    path = write(tmp_path, "x1,x2,label\n0.5,1.5,1\n-1, 2 ,0\n\n# a comment\n3e-1,-2,1\n")
    assert load_csv(path) == [(0.5, 1.5, 1.0), (-1.0, 2.0, -1.0), (0.3, -2.0, 1.0)]


def test_csv_without_header_and_pm1_labels(tmp_path):
    path = write(tmp_path, "0.5,1.5,-1\n1,2,1.0\n")
    assert load_csv(path) == [(0.5, 1.5, -1.0), (1.0, 2.0, 1.0)]


def test_csv_with_byte_order_mark_and_crlf(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffx1,x2,y\r\n1,2,1\r\n3,4,0\r\n".encode())
    assert load_csv(path) == [(1.0, 2.0, 1.0), (3.0, 4.0, -1.0)]


@pytest.mark.parametrize(
    "text, words",
    [
        ("x1,x2,label\n1,2,1\n3,4\n", "data.csv line 3: expected 3 values x1,x2,label, found 2"),
        ("1,2,1\n3,4,1,5\n", "line 2: expected 3 values x1,x2,label, found 4"),
        ("1,2,1\n3,abc,0\n", "line 2: x2 'abc' is not a number"),
        ("1,2,1\n3,4,2\n", "line 2: label must be 0/1 or -1/1 (got 2)"),
        ("1,2,1\n3,4,yes\n", "line 2: label 'yes' is not a number"),
        ("1,2,0\n3,4,-1\n", "line 2: labels mix 0 and -1"),
        ("1,nan,0\n3,4,1\n", "line 1: x2 must be a finite number"),
        ("x1,x2,label\n1,2,1\n", "needs at least 2 data rows"),
        ("", "needs at least 2 data rows"),
        ("x1,x2,label\nx1,x2,label\n1,2,1\n", "line 2: x1 'x1' is not a number"),
        # a first line with a number in it is data, not a header: its bad field is an error
        ("abc,0,0\n1,2,1\n3,4,0\n", "line 1: x1 'abc' is not a number"),
        ("1,2,label\n1,2,1\n3,4,0\n", "line 1: label 'label' is not a number"),
        ("x1,x2,label\n1,2,1\n3,4,1\n", "every label is 1: a classifier needs rows of both"),
        ("1,2,0\n3,4,0\n", "every label is 0: a classifier needs rows of both classes"),
        ("1,2,-1\n3,4,-1\n", "every label is -1"),
    ],
)
def test_csv_errors_name_the_line_and_the_problem(tmp_path, text, words):
    with pytest.raises(CSVError) as info:
        load_csv(write(tmp_path, text))
    assert words in str(info.value)
    assert info.value.field == "csv_path" and isinstance(info.value, ConfigError)
    assert "\n" not in str(info.value)


def test_csv_missing_or_binary_file(tmp_path):
    with pytest.raises(CSVError, match="cannot read the file"):
        load_csv(tmp_path / "missing.csv")
    binary = tmp_path / "image.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x00")
    with pytest.raises(CSVError, match="not a text file"):
        load_csv(binary)


def test_csv_too_many_rows(tmp_path):
    path = write(tmp_path, "1,2,1\n" * 10_001)
    with pytest.raises(CSVError, match="line 10001: more than 10,000 data rows"):
        load_csv(path)


def test_a_header_may_name_the_columns_any_way(tmp_path):
    path = write(tmp_path, "a,b,c\n1,2,1\n3,4,0\n")
    assert load_csv(path) == [(1.0, 2.0, 1.0), (3.0, 4.0, -1.0)]


def test_make_dataset_from_csv(tmp_path):
    rows = "".join(f"{i},{-i},{i % 2}\n" for i in range(10))
    config = TrainConfig(dataset="csv", csv_path=str(write(tmp_path, rows)), test_split=0.3)
    data = make_dataset(config)
    assert len(data.x_train) == 7 and len(data.x_test) == 3 and data.name == "data.csv"
    assert sorted(data.x_train + data.x_test) == sorted((float(i), float(-i)) for i in range(10))
    assert make_dataset(config) == data


def test_batch_larger_than_the_csv_data(tmp_path):
    config = TrainConfig(dataset="csv", csv_path=str(write(tmp_path, "1,2,1\n3,4,0\n" * 3)),
                         test_split=0, batch_size=10)  # fmt: skip
    with pytest.raises(ConfigError) as info:
        make_dataset(config)
    assert info.value.field == "batch_size" and "at most 6" in info.value.message
