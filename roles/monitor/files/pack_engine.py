# Copyright: (c) 2026, preflight.nginx contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pack the collection's engine and the controller's crossplane into one zip for the monitor.

Run on the controller by the preflight.nginx.monitor role (with the Python that runs Ansible), so
that targets need nothing but Python, nginx and curl: the monitor imports both from the zip. The zip
is the same bytes for the same sources (fixed timestamps, sorted names), so the copy to the host
only reports a change when the code changed.

Usage: pack_engine.py COLLECTION_DIR OUTPUT_ZIP
"""

import os
import sys
import zipfile

STAMP = (1980, 1, 1, 0, 0, 0)
PREFIX = "ansible_collections/preflight/nginx/"


def sources(top, arcbase):
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                full = os.path.join(root, name)
                yield full, arcbase + os.path.relpath(full, top).replace(os.sep, "/")


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__.strip().splitlines()[-1] + "\n")
        return 2
    collection, output = argv
    try:
        import crossplane
    except ImportError as exc:
        sys.stderr.write("the monitor needs the Python library crossplane on the controller, which it ships to "
                         "the hosts: pip install crossplane (%s)\n" % exc)
        return 1
    package = os.path.dirname(os.path.abspath(crossplane.__file__))
    entries = list(sources(os.path.join(collection, "plugins", "module_utils"), PREFIX + "plugins/module_utils/"))
    entries += list(sources(package, "crossplane/"))
    # zipimport finds no namespace packages: every folder gets an __init__.py.
    names = {arcname for _full, arcname in entries}
    folders = {arcname.rsplit("/", i)[0] for arcname in names for i in range(1, arcname.count("/") + 1)}
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder in sorted(folders):
            if folder + "/__init__.py" not in names:
                archive.writestr(zipfile.ZipInfo(folder + "/__init__.py", STAMP), "")
        for full, arcname in entries:
            with open(full, "rb") as handle:
                info = zipfile.ZipInfo(arcname, STAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, handle.read())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
