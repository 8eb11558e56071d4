"""Write (or check) the JSON Schema files in ``schemas/json`` from the pydantic models.

    python -m schemas.generate          # rewrite the files
    python -m schemas.generate --check  # exit 1 when a file is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from schemas.models import EVENT_MODELS

JSON_DIR = Path(__file__).parent / "json"


def rendered() -> dict[str, str]:
    """File name → JSON text, exactly as it should be on disk."""
    out = {}
    for name, model in EVENT_MODELS.items():
        schema = model.model_json_schema(by_alias=True, mode="serialization")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[f"{name}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for filename, text in rendered().items():
        path = JSON_DIR / filename
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(filename)
        if not check:
            JSON_DIR.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if check and stale:
        sys.stderr.write(f"stale JSON Schemas: {', '.join(stale)} (run: python -m schemas.generate)\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
