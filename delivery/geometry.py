"""GeoJSON zone perimeters: parsing with French error messages, and fast point-in-zone tests.

GeoJSON orders coordinates longitude first, then latitude; a polygon typed the other way round
lands in the Indian Ocean, so validation spots that mistake and says so.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from tenants.connection import connection

# (min lon, min lat, max lon, max lat): metropolitan France with Corsica, then the overseas
# departments where a town could run deliveries. Loose on purpose: they catch typing mistakes.
FRANCE_BOUNDS: tuple[tuple[float, float, float, float], ...] = (
    (-5.8, 41.2, 10.0, 51.5),  # métropole et Corse
    (-61.9, 15.8, -60.9, 16.6),  # Guadeloupe
    (-61.3, 14.3, -60.7, 14.9),  # Martinique
    (-54.7, 2.0, -51.5, 6.0),  # Guyane
    (55.1, -21.5, 56.0, -20.8),  # La Réunion
    (44.9, -13.1, 45.4, -12.6),  # Mayotte
)
POLYGON_TYPES = ("Polygon", "MultiPolygon")


def _within_france(geometry: BaseGeometry) -> bool:
    min_x, min_y, max_x, max_y = geometry.bounds
    return any(
        west <= min_x and max_x <= east and south <= min_y and max_y <= north
        for west, south, east, north in FRANCE_BOUNDS
    )


def _swap(geometry: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geometry, lambda coordinates: coordinates[:, ::-1])


def _geometry_object(value: Any, *, depth: int = 0) -> dict[str, Any]:
    """The geometry of a bare geometry, a Feature, or a FeatureCollection of polygons (geojson.io)."""
    if not isinstance(value, dict):
        raise ValidationError(_("Le périmètre doit être un objet GeoJSON."), code="not_geojson")
    kind = value.get("type")
    # GeoJSON nests at most a collection of features, each with a geometry: nothing deeper.
    if (kind == "FeatureCollection" and depth > 0) or (kind == "Feature" and depth > 1):
        raise ValidationError(_("Un élément GeoJSON ne peut pas en contenir un autre de ce type."), code="nested")
    if kind == "Feature":
        return _geometry_object(value.get("geometry"), depth=2)
    if kind == "FeatureCollection":
        features = value.get("features")
        if not isinstance(features, list) or not features:
            raise ValidationError(_("La collection GeoJSON ne contient aucun polygone."), code="empty")
        geometries = [_geometry_object(feature, depth=1) for feature in features]
        if len(geometries) == 1:
            return geometries[0]
        polygons = [geometry for geometry in geometries if geometry.get("type") == "Polygon"]
        if len(polygons) != len(geometries):
            raise ValidationError(
                _("Une collection doit contenir uniquement des polygones simples (Polygon)."), code="not_polygon"
            )
        return {"type": "MultiPolygon", "coordinates": [polygon.get("coordinates") for polygon in polygons]}
    return value


def parse_zone_geometry(text: str) -> dict[str, Any]:
    """A valid Polygon or MultiPolygon inside France, as a GeoJSON geometry dict, or a French error."""
    try:
        value = json.loads(text)
    except RecursionError as error:  # "[[[[…" pasted tens of thousands of times deep
        raise ValidationError(
            _("Le texte n'est pas du GeoJSON lisible : imbrication trop profonde."), code="invalid_json"
        ) from error
    except ValueError as error:
        raise ValidationError(
            _("Le texte n'est pas du GeoJSON lisible (erreur ligne %(line)d, colonne %(column)d).")
            % {"line": getattr(error, "lineno", 1), "column": getattr(error, "colno", 1)},
            code="invalid_json",
        ) from error
    geometry_object = _geometry_object(value)
    kind = geometry_object.get("type")
    if kind not in POLYGON_TYPES:
        raise ValidationError(
            _("Le périmètre doit être un polygone (Polygon ou MultiPolygon), pas « %(kind)s ».")
            % {"kind": kind or "?"},
            code="not_polygon",
        )
    try:
        geometry = shape(geometry_object)
    except (ShapelyError, ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        raise ValidationError(
            _(
                "Les coordonnées du polygone sont mal formées : chaque point s'écrit [longitude, latitude] "
                "et chaque contour a au moins quatre points, le dernier égal au premier."
            ),
            code="malformed",
        ) from error
    if geometry.is_empty:
        raise ValidationError(_("Le polygone est vide."), code="empty")
    if not _within_france(geometry):
        if _within_france(_swap(geometry)):
            raise ValidationError(
                _(
                    "La latitude et la longitude semblent inversées : en GeoJSON, chaque point s'écrit "
                    "[longitude, latitude] (par exemple [1.858, 50.951] pour Calais)."
                ),
                code="swapped_coordinates",
            )
        raise ValidationError(
            _("Le polygone sort de la France : vérifiez les coordonnées (longitude, latitude en degrés)."),
            code="outside_france",
        )
    if not geometry.is_valid:
        raise ValidationError(
            _(
                "Le polygone n'est pas valide (contour qui se recoupe, trou hors du contour…). "
                "Détail technique : %(detail)s"
            )
            % {"detail": explain_validity(geometry)},
            code="invalid_polygon",
        )
    return json.loads(shapely.to_geojson(geometry))


def geometry_text(geometry: dict[str, Any] | None) -> str:
    return "" if geometry is None else json.dumps(geometry, indent=1)


# Prepared geometries per process: preparing is much slower than one test, and zones rarely change.
# Keyed on the schema too, since zone ids repeat from one town to the next.
_prepared: dict[tuple[str, int], tuple[dt.datetime, BaseGeometry]] = {}
_prepared_lock = threading.Lock()


def _prepared_geometry(zone_id: int, updated_at: dt.datetime, geometry: dict[str, Any]) -> BaseGeometry:
    key = (connection.schema_name, zone_id)
    cached = _prepared.get(key)
    if cached is not None and cached[0] == updated_at:
        return cached[1]
    prepared = shape(geometry)
    shapely.prepare(prepared)
    with _prepared_lock:
        _prepared[key] = (updated_at, prepared)
    return prepared


def polygon_covers(
    *, zone_id: int, updated_at: dt.datetime, geometry: dict[str, Any], latitude: float, longitude: float
) -> bool:
    """True when the point is inside the zone's polygon or on its edge (GeoJSON x = longitude)."""
    return bool(shapely.intersects_xy(_prepared_geometry(zone_id, updated_at, geometry), longitude, latitude))
