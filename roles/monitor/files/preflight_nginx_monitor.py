# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""preflight-nginx-monitor: one run of the monitor (the systemd timer starts it every interval).

A thin entry point: the checks live in the collection's module_utils/host/monitor.py, which the
preflight.nginx.monitor role ships with the engine and crossplane in lib/preflight-nginx-engine.zip.
"""

import os
import sys

LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")
sys.path.insert(0, os.path.join(LIB, "preflight-nginx-engine.zip"))

from ansible_collections.preflight.nginx.plugins.module_utils.host import monitor  # noqa: E402

if __name__ == "__main__":
    sys.exit(monitor.main())
