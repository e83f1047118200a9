"""The one settings class of the project, read from the environment once."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob of training, serving and storage; environment variables override."""

    model_config = SettingsConfigDict(env_prefix="PRETEXT_", extra="ignore")

    datasets_dir: Path = PROJECT_ROOT.parent / "shared" / "datasets"
    reference_dir: Path = PROJECT_ROOT.parent / "shared" / "reference"
    models_dir: Path = PROJECT_ROOT / "models" / "weights"
    var_dir: Path = PROJECT_ROOT / "var"
    cache_dir: Path = PROJECT_ROOT / "var" / "cache"

    device: Literal["auto", "cpu", "cuda"] = "auto"

    # Upload guards.
    max_upload_bytes: int = 25 * 1024 * 1024
    max_image_pixels: int = 64_000_000

    # Services. REDIS_URL / DATABASE_URL are the conventional names, so read them unprefixed.
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing env."""
    return Settings()
