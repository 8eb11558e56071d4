"""schemas: the checked-in JSON Schemas are exactly what the models generate."""

from __future__ import annotations

from schemas.generate import JSON_DIR, rendered


def test_json_schemas_are_fresh() -> None:
    """Every model's JSON Schema file exists and matches the model (run `python -m schemas.generate`)."""
    for filename, text in rendered().items():
        path = JSON_DIR / filename
        assert path.exists(), f"missing {filename}"
        assert path.read_text(encoding="utf-8") == text, f"stale {filename}: run python -m schemas.generate"


def test_no_stray_schema_files() -> None:
    """No schema file is left behind for a model that no longer exists."""
    assert {p.name for p in JSON_DIR.glob("*.json")} == set(rendered())
