"""Build entry point: names the cffi build script so `pip install` compiles the native core."""

from setuptools import find_packages, setup

# Each component keeps its own top-level folder (docs/design.md section 2) and installs as a
# subpackage of `cetak`, so no generic top-level names (controller, agent, proto) are claimed.
PACKAGE_ROOTS = {
    # The ground floor lives under src/ so that no folder at the repository root is named
    # `cetak`: `python -m cetak` run from the root would import it instead of the installed
    # package (the current directory comes first on sys.path).
    "cetak": "src/cetak",
    "cetak.controller": "controller",
    "cetak.agent": "agent",
    "cetak.native": "native",
    "cetak.printers": "printers",
    "cetak.card": "card",
    # The top floor: they start and watch every other component.
    "cetak.demo": "demo",
    "cetak.drills": "drills",
    "cetak.simulate": "simulate",
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
