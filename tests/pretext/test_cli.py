import pytest

from pretext.cli import main


@pytest.mark.parametrize(("argv", "reason"), [
    (["train", "colorization", "--crop", "128", "--tiny-share", "0.5"], "larger than Tiny ImageNet"),
    (["train", "colorization", "--tiny-batches", "2"], "tiny_batches must lie in [0, 1]"),
    (["train", "jigsaw", "--image-size", "100"], "smaller than the crop"),
    (["train", "rotation", "--tiny-share", "-0.5"], "tiny_share must lie in [0, 1]"),
])
def test_an_impossible_training_setting_exits_2_with_its_reason(argv, reason, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"pretext {argv[0]} {argv[1]}: ") and reason in err
    assert not (tmp_path / "run").exists()  # refused before the run folder or any cache was made


@pytest.mark.parametrize(("old", "new"), [(["colorize"], ["colorization"]), (["rotate"], ["rotation"]),
                                          (["attention"], ["rotation", "attention"])])
def test_an_older_command_name_runs_the_same_command(old, new, capsys):
    with pytest.raises(SystemExit) as exit_old:
        main([*old, "--help"])
    old_help = capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_new:
        main([*new, "--help"])
    new_help = capsys.readouterr().out
    assert exit_old.value.code == exit_new.value.code == 0
    def options(text: str, words: list[str]) -> str:
        return " ".join(text.replace(f"pretext {' '.join(words)}", "").split())  # argparse wraps by prog length

    assert options(old_help, old) == options(new_help, new)
