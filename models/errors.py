"""Domain errors raised by the models core; the API maps them to HTTP codes."""


class PretextError(Exception):
    """Base class of every error this project raises on purpose."""


class ImageError(PretextError):
    """An uploaded file cannot be used as an image."""


class NotAnImageError(ImageError):
    """The bytes are not an image in a supported format."""


class UnsupportedImageError(ImageError):
    """An image in a format or mode this project does not handle."""


class TruncatedImageError(ImageError):
    """The image data ends early or is corrupt."""


class ImageTooLargeError(ImageError):
    """The image has more pixels than allowed (decompression bomb guard)."""


class BadParameterError(PretextError):
    """A parameter is out of its allowed range."""


class ModelNotAvailableError(PretextError):
    """A model file or card is missing or unreadable."""


class DatasetNotFoundError(PretextError):
    """A dataset split is not where the settings say it is."""


class OutputError(PretextError):
    """A result cannot be written where the user asked."""
