import argparse

import pytest

from training.sweep_colorization import add_arguments


def test_the_sweep_refuses_a_bad_mirror_setting_before_any_work():
    p = argparse.ArgumentParser()
    add_arguments(p)
    assert p.parse_args([]).mirror_ensemble is None  # argparse runs the type on string defaults
    assert p.parse_args(["--mirror-ensemble", "off,on"]).mirror_ensemble == [False, True]
    with pytest.raises(SystemExit):
        p.parse_args(["--mirror-ensemble", "sideways"])


def test_the_sweep_reads_plus_joined_sides_as_one_ensemble_setting():
    p = argparse.ArgumentParser()
    add_arguments(p)
    assert p.parse_args(["--sides", "160,192+256"]).sides == [(160,), (192, 256)]
    for bad in ("160,big", "4+192"):
        with pytest.raises(SystemExit):
            p.parse_args(["--sides", bad])
