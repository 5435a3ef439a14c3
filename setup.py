"""Build entry point: names the cffi build script so `pip install` compiles the native core."""

from setuptools import find_packages, setup

# Each component keeps its own top-level folder (DESIGN.md section 2) and installs as a
# subpackage of `cetak`, so no generic top-level names (controller, agent, proto) are claimed.
PACKAGE_ROOTS = {
    "cetak": "cetak",
    "cetak.controller": "controller",
    "cetak.agent": "agent",
    "cetak.native": "native",
    "cetak.printers": "printers",
    "cetak.card": "card",
}


def _packages() -> list[str]:
    found = []
    for package, folder in PACKAGE_ROOTS.items():
        found.append(package)
        found.extend(f"{package}.{sub}" for sub in find_packages(folder))
    return found


setup(
    packages=_packages(),
    package_dir=PACKAGE_ROOTS,
    cffi_modules=["native/_ffi_build.py:ffibuilder"],
)
