"""`python -m devtools.assets`: fetch pinned front-end packages with npm, verify, copy to static/.

npm checks each package against package-lock.json's integrity; we then check the file we
serve against the SRI hash the templates carry. Without npm, pages load htmx from the CDN
with the same SRI hash.
"""

import base64
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from webapp.security import HTMX_SRI

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
FILES = {"node_modules/htmx.org/dist/htmx.min.js": ("htmx.min.js", HTMX_SRI)}


def sri(path):
    """The sha384 SRI string of a file."""
    return "sha384-" + base64.b64encode(hashlib.sha384(Path(path).read_bytes()).digest()).decode()


def main():
    """Install and copy; exit 0 with a warning when npm is not available."""
    if all((VENDOR / name).exists() and sri(VENDOR / name) == h for name, h in FILES.values()):
        return 0
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: pages will load htmx from the CDN (SRI-checked)", file=sys.stderr)
        return 0
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=ROOT, check=True)
    VENDOR.mkdir(parents=True, exist_ok=True)
    for source, (name, expected) in FILES.items():
        actual = sri(ROOT / source)
        if actual != expected:
            raise SystemExit(f"{source}: integrity {actual} is not the pinned {expected}")
        shutil.copyfile(ROOT / source, VENDOR / name)
    print(f"static/vendor: {', '.join(name for name, _ in FILES.values())} (integrity checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
