"""Response classes shared by the API routes."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class FastJSON(JSONResponse):
    """A JSON response encoded by orjson: plain types and aware datetimes (written as
    ``isoformat()`` writes them), several times faster than ``json.dumps`` for a runs page
    or a Grid, and no jsonable_encoder walk."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
