# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""preflight-nginx-monitor: one run of the monitor (the systemd timer starts it every interval).

A thin entry point: the checks live in the collection's module_utils/host/monitor.py, which the
preflight.nginx.monitor role ships with the engine and crossplane in lib/preflight-nginx-engine.zip.
"""

import hashlib
import os
import shutil
import sys
import tempfile
import zipfile

LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")
ZIP = os.path.join(LIB, "preflight-nginx-engine.zip")


def engine_path():
    """The zip unpacked beside itself once per version, so that Python keeps the compiled code
    (importing from a zip compiles every module on every run); the zip itself if that fails."""
    try:
        with open(ZIP, "rb") as handle:
            version = hashlib.sha256(handle.read()).hexdigest()[:16]
        unpacked = os.path.join(LIB, "engine-" + version)
        if not os.path.isdir(unpacked):
            scratch = tempfile.mkdtemp(prefix=".engine-", dir=LIB)
            with zipfile.ZipFile(ZIP) as archive:
                archive.extractall(scratch)
            os.chmod(scratch, 0o755)
            os.rename(scratch, unpacked)
            for name in os.listdir(LIB):
                if name.startswith(("engine-", ".engine-")) and name != os.path.basename(unpacked):
                    shutil.rmtree(os.path.join(LIB, name), ignore_errors=True)
        return unpacked
    except OSError:
        return ZIP  # a read-only lib/: slower, the same code


sys.path.insert(0, engine_path())

from ansible_collections.preflight.nginx.plugins.module_utils.host import monitor  # noqa: E402

if __name__ == "__main__":
    sys.exit(monitor.main())
