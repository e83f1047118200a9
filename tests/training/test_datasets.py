import numpy as np
import pytest

from core.errors import DatasetNotFoundError
from training.datasets import SPLITS, ZipSplit, photo_paths


@pytest.mark.parametrize("split", SPLITS)
def test_each_split_reads_its_manifest_and_images(datasets_dir, split):
    ds = ZipSplit(split)
    assert len(ds) > 1000
    rgb = ds.rgb(0)
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    assert ds.labels.min() >= 0


def test_cache_is_a_memmap_of_resized_images_and_is_reused(datasets_dir, isolated_settings):
    ds = ZipSplit("imagenette-val")
    first = ds.cached(32, limit=12)
    assert first.shape == (12, 32, 32, 3) and isinstance(first, np.memmap)
    files = sorted(p.name for p in isolated_settings.cache_dir.iterdir())
    again = ds.cached(32, limit=12)
    np.testing.assert_array_equal(first, again)
    assert sorted(p.name for p in isolated_settings.cache_dir.iterdir()) == files
    # The cached image is the stored photo, centre-cropped and resized.
    full = ds.rgb(3).astype(np.float32)
    small = first[3].astype(np.float32)
    assert abs(full.mean() - small.mean()) < 6


def test_missing_split_is_a_clear_domain_error(tmp_path):
    with pytest.raises(DatasetNotFoundError):
        ZipSplit("imagenette-train", root=tmp_path)
    with pytest.raises(DatasetNotFoundError):
        photo_paths(tmp_path)


def test_photos_folder_lists_the_test_photos(datasets_dir):
    photos = photo_paths()
    assert len(photos) >= 100
