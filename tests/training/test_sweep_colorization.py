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
