"""The demo organisation that `procflow run` loads into an empty database and scenario files use by default."""

from pathlib import Path

DEMO_ORG = Path(__file__).resolve().parent.parent / "data" / "demo_org.yaml"
