"""The one compiled part: hub/_usage_scan.c, the usage-log line scanner (hub/usage_parse.py).
Everything else is in pyproject.toml. The scanner is optional: without a C compiler or OpenSSL's
headers (Debian's libssl-dev: the event keys' SHA-1) the hub still installs and runs, DuckDB
reading the lines instead (hub.usage_parse.scanner() says which)."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def _links_openssl() -> bool:
    """Whether a program using OpenSSL's SHA-1 compiles and links here."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "probe.c"
        source.write_text("#define OPENSSL_SUPPRESS_DEPRECATED\n#include <openssl/sha.h>\n"
                          "int main(void) { unsigned char d[20]; SHA1((const unsigned char *)\"\", 0, d); return d[0]; }\n")
        done = subprocess.run([compiler, str(source), "-o", str(Path(tmp) / "probe"), "-lcrypto"],
                              capture_output=True, check=False)
        return done.returncode == 0


class OptionalBuildExt(build_ext):
    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001 - no compiler: the DuckDB path reads the lines
            print(f"warning: {ext.name} not built ({exc}); usage logs are read through DuckDB", file=sys.stderr)


if _links_openssl():
    setup(ext_modules=[Extension("hub._usage_scan", ["hub/_usage_scan.c"], libraries=["crypto"],
                                 extra_compile_args=["-O2", "-Wall", "-Wextra"])],
          cmdclass={"build_ext": OptionalBuildExt})
else:
    print("warning: no C compiler or OpenSSL headers (libssl-dev): hub._usage_scan not built; "
          "usage logs are read through DuckDB", file=sys.stderr)
    setup()
