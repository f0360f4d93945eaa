"""The seed scheme (seeds/scheme_lianyungang_2018.json): its path, its JSON, and the loaded scheme (once)."""

import json
from functools import lru_cache
from pathlib import Path

from app.rubric import load_scheme

SEED = Path(__file__).resolve().parents[2] / "seeds" / "scheme_lianyungang_2018.json"


def seed_dict() -> dict:
    return json.loads(SEED.read_text("utf-8"))


@lru_cache(maxsize=1)
def seed():
    return load_scheme(seed_dict())
