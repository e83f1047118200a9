"""The wider splits: a fixed held-back tenth, shares checked before any cache is built."""

import numpy as np
import pytest

from training.errors import TrainingConfigError
from training.sources import batch_counts, check_shares, holdout_indices


def test_every_tenth_photo_is_held_back_and_never_trained_on():
    train, val = holdout_indices(25)
    assert val.tolist() == [0, 10, 20]
    assert len(train) == 22 and not set(train) & set(val)
    assert np.array_equal(np.sort(np.concatenate([train, val])), np.arange(25))
    assert holdout_indices(25)[1].tolist() == val.tolist()  # the same rule every run


def test_shares_are_checked_against_each_other_and_the_tiny_share():
    check_shares({"flowers-train": 0.2, "imagenet-samples": 0.1}, other=0.7)
    with pytest.raises(TrainingConfigError, match=r"add up to 1\.10"):
        check_shares({"flowers-train": 0.5, "imagenet-samples": 0.1}, other=0.5)
    with pytest.raises(TrainingConfigError, match="must lie in"):
        check_shares({"flowers-train": -0.1}, other=0.0)
    with pytest.raises(TrainingConfigError, match="unknown split"):
        check_shares({"imagenette-val": 0.1}, other=0.0)


def test_batch_counts_round_each_share_and_skip_zero_shares():
    assert batch_counts(32, {"flowers-train": 0.15, "imagenet-samples": 0.0}) == {"flowers-train": 5}


def test_an_impossible_share_stops_the_command_before_any_work(tmp_path, capsys):
    from pretext.cli import main

    code = main(["train", "rotation", "--tiny-share", "0.8", "--flowers-share", "0.5", "--out", str(tmp_path / "r")])
    assert code == 2 and "add up to" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
