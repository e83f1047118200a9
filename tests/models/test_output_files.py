from pathlib import Path

import pytest

from core.errors import OutputError
from models.output_files import OutputNames, output_folder, write_file


def test_each_input_gets_its_own_name_and_the_first_keeps_the_plain_one(tmp_path):
    out = tmp_path / "out"
    names = OutputNames([Path("a/x.jpg"), Path("b/x.jpg"), Path("x.png")])
    got = [names.next(Path(p), out).name for p in ("a/x.jpg", "b/x.jpg", "x.png")]
    assert got == ["x.png", "x-2.png", "x-3.png"]


def test_an_output_never_takes_an_inputs_path(tmp_path):
    source = tmp_path / "photo.png"
    names = OutputNames([source])
    assert names.next(source, tmp_path) == tmp_path / "photo-2.png"
    assert OutputNames([source], suffix="-solved.png").next(source, tmp_path) == tmp_path / "photo-solved.png"


def test_a_file_where_the_folder_should_be_is_an_output_error(tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("a file")
    with pytest.raises(OutputError, match="not a folder"):
        output_folder(blocker)
    with pytest.raises(OutputError, match="cannot create"):
        output_folder(blocker / "inside")
    with pytest.raises(OutputError, match="cannot write"):
        write_file(blocker / "inside" / "x.png", b"png")
    assert write_file(tmp_path / "new" / "x.png", b"png").read_bytes() == b"png"
