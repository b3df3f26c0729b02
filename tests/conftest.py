import pathlib
import sys

# Test helpers (fixture_expectations) live beside the tests.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

SHARED = pathlib.Path(__file__).resolve().parent.parent.parent / "shared"
