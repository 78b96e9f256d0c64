"""``python -m streaming``: run the speed layer until SIGTERM (or Ctrl-C).

Settings come from the environment (BEACON_*), so the same command runs under
``beacon up streaming`` or on a cluster (BEACON_SPARK__MASTER, BEACON_KAFKA__BOOTSTRAP_SERVERS,
BEACON_LAKEHOUSE_URI, BEACON_STREAMING__CHECKPOINT_URI).
"""

from __future__ import annotations

import logging
import sys
import threading

from lakehouse.settings import SettingsError, load_settings
from streaming.job import install_stop_signals, run


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", force=True
    )
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"streaming: error: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    install_stop_signals(stop)
    return run(settings, stop)


if __name__ == "__main__":
    sys.exit(main())
