"""``python -m stack.superset_bundle``: regenerate the bundle's YAML in ``superset/``."""

from __future__ import annotations

from stack.superset_bundle.files import BUNDLE_DIR, write_bundle

if __name__ == "__main__":
    written = write_bundle()
    print(f"wrote {len(written)} files under {BUNDLE_DIR}")
