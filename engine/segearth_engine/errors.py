"""Errors the engine raises on purpose: each carries a message fit to show a user as it is."""


class SegEarthError(Exception):
    """Base class: the message says what is wrong and, where possible, what to do."""


class ModelFilesError(SegEarthError):
    """Model files missing, corrupt, of the wrong layout or failing their checksum."""


class StaleGraphError(ModelFilesError):
    """An ONNX graph written by an older engine in a format this one no longer runs; exporting again mends it."""


class CheckpointKeyError(ModelFilesError):
    """A checkpoint tensor is missing, unexpected or of the wrong shape; the message names it."""


class HubError(ModelFilesError):
    """The model hub (or a mirror, or the proxy on the way) could not deliver the files; what was fetched is kept."""


class InputError(SegEarthError):
    """The raster, extent, bands or question cannot be segmented as given."""


class LimitError(InputError):
    """The run would exceed a sanity limit (output grid, memory); the message says what to change.

    The numbers behind it, for callers that phrase it their own way (the QGIS plugin names its Resolution field, not a
    CLI flag): `width` x `height` output pixels, `gigapixels`, `strip_gb`, the limits, and `min_resolution` (the
    coarsest resolution that fits, when a resolution was given)."""

    def __init__(self, message: str, **numbers: float | None) -> None:
        super().__init__(message)
        self.width = numbers.get("width")
        self.height = numbers.get("height")
        self.gigapixels = numbers.get("gigapixels")
        self.strip_gb = numbers.get("strip_gb")
        self.max_gigapixels = numbers.get("max_gigapixels")
        self.max_strip_gb = numbers.get("max_strip_gb")
        self.min_resolution = numbers.get("min_resolution")


class OutputError(SegEarthError):
    """An output could not be written or published (full disk, I/O error); nothing half-written was left.

    `disk_full`: the cause was a full disk, so that a caller can say so in its own words."""

    def __init__(self, message: str, disk_full: bool = False) -> None:
        super().__init__(message)
        self.disk_full = disk_full


class DiskSpaceError(OutputError):
    """Not enough free space for what is about to be written; the message has the numbers."""


class OutputExistsError(OutputError):
    """The output file exists and overwriting was not asked for."""


class Cancelled(SegEarthError):
    """The caller cancelled the run; nothing was written."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)
