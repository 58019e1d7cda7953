"""Processing outputs that are checked: the destination's folder before the model runs, every feature written, the file
read back after the sink is closed. An output that could not be written fails the algorithm (QgsProcessingException,
the cause first: a full disk says so and how much space is left) instead of a success with an unreadable file.

Why: a feature sink only logs "Feature could not be written" (addFeature returns False), and a GeoPackage whose commit
failed is left unreadable; Processing then reported success and returned the broken file.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from qgis.core import QgsFeatureSink, QgsProcessingException, QgsVectorLayer

from ..common.fault_messages import write_failure
from ..common.translation import tr

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qpj")


def destination_file(alg, parameters, name: str, context) -> Path | None:
    """The file an output parameter will be written to; None for a temporary or database output."""
    if not parameters.get(name):
        return None
    text = alg.parameterAsOutputLayer(parameters, name, context) or ""
    if text.startswith("ogr:"):  # ogr:dbname='/a/b.gpkg' table="t" (geom): a table in a GeoPackage
        match = re.search(r"dbname='([^']*)'", text) or re.search(r"dbname=(\S+)", text)
        text = match.group(1) if match else ""
    path = text.split("|")[0]
    if not path or not os.path.isabs(path) or path.startswith("/vsi"):
        return None  # memory:, TEMPORARY_OUTPUT, postgres:, ...
    return Path(path)


class _Failed(Exception):
    pass


def _probe(folder: Path) -> None:
    fd, probe = tempfile.mkstemp(prefix=".segearth-probe-", dir=folder)
    os.close(fd)
    os.unlink(probe)


def check_destination(alg, parameters, name: str, context) -> None:
    """Before any computing: the output's folder must exist (or be creatable) and be writable."""
    target = destination_file(alg, parameters, name, context)
    if target is None:
        return
    folder = target.parent
    while not folder.exists() and folder.parent != folder:  # Processing creates missing folders
        folder = folder.parent
    try:
        if not folder.is_dir():
            raise _Failed(tr("{} is not a folder").format(folder))
        _probe(folder)
        if target.exists() and not os.access(target, os.W_OK):
            raise _Failed(tr("{} is read-only").format(target))
    except OSError as exc:
        raise QgsProcessingException(tr("The output {} cannot be written: {} ({}). Nothing was computed.").format(
            target, exc.strerror or exc, folder)) from exc
    except _Failed as exc:
        raise QgsProcessingException(tr("The output {} cannot be written: {}. Nothing was computed.").format(
            target, exc)) from exc


def _disk_full(text: str, folder: Path) -> bool:
    from segearth_engine.api import is_disk_full

    return is_disk_full([text], None, folder)


def _remove_broken(target: Path) -> None:
    parts = [target.with_suffix(s) for s in SHAPEFILE_PARTS] if target.suffix.lower() == ".shp" else [target]
    for part in parts:
        try:
            part.unlink()
        except OSError:
            pass


def write_features(alg, parameters, name: str, context, fields, wkb_type, crs, features: list) -> str:
    """Create the sink of output `name`, write `features` (QgsFeatures), close it and read the file back; the
    destination id, or QgsProcessingException with the cause. A broken file is removed."""
    target = destination_file(alg, parameters, name, context)
    sink, dest_id = alg.parameterAsSink(parameters, name, context, fields, wkb_type, crs)
    if sink is None:
        raise QgsProcessingException(alg.invalidSinkError(parameters, name))
    error = ""
    if features and not sink.addFeatures(features, QgsFeatureSink.Flag.FastInsert):
        error = sink.lastError() or tr("a feature could not be written")
    elif hasattr(sink, "flushBuffer") and not sink.flushBuffer():
        error = sink.lastError() or tr("the output could not be flushed")
    del sink  # closes the file: a GeoPackage commits here
    if not error and target is not None:
        back = QgsVectorLayer(str(dest_id), "check", "ogr")
        if not back.isValid() or back.featureCount() != len(features):
            error = tr("the file read back holds {} of {} features").format(
                back.featureCount() if back.isValid() else 0, len(features))
        del back
    if error:
        if target is None:
            raise QgsProcessingException(tr("Write error ({}): the output was not written.").format(error))
        full = _disk_full(error, target.parent)  # measured while the broken file still fills the disk
        if "|" not in str(dest_id):  # a file of its own, not a table added to a GeoPackage that holds others
            _remove_broken(target)
        raise QgsProcessingException(write_failure(target, Exception(error), existed=False, disk_full=full))
    return dest_id
