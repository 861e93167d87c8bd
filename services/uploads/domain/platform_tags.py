"""The wheel platform tags an index accepts: those whose ABI has a specification (PyPI's set).

A `linux_x86_64` wheel, say, only promises to run on the machine that built it, so it is refused;
manylinux/musllinux (PEP 600/656), macOS, Windows, iOS (PEP 730) and Android (PEP 738) wheels
follow published rules. `linux_armv6l`/`linux_armv7l` stay allowed for piwheels' sake.
"""

from __future__ import annotations

import re

from packaging.utils import parse_wheel_filename

from services.uploads.domain.errors import InvalidPlatformTag

FIXED_PLATFORMS = frozenset({
    "any", "win32", "win_amd64", "win_arm64", "win_ia64",
    "manylinux1_x86_64", "manylinux1_i686", "manylinux2010_x86_64", "manylinux2010_i686",
    "manylinux2014_x86_64", "manylinux2014_i686", "manylinux2014_aarch64", "manylinux2014_armv7l",
    "manylinux2014_ppc64", "manylinux2014_ppc64le", "manylinux2014_s390x",
    "linux_armv6l", "linux_armv7l",
})
MACOS = re.compile(r"^macosx_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>[a-z0-9_]+)$")
MACOS_MAJORS = frozenset({"10", "11", "12", "13", "14", "15", "26"})
MACOS_ARCHES = frozenset({"ppc", "ppc64", "i386", "x86_64", "arm64", "intel", "fat", "fat3", "fat32",
                          "fat64", "universal", "universal2"})
GLIBC_OR_MUSL = re.compile(r"^(?P<libc>many|musl)linux_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>[a-z0-9_]+)$")
LINUX_ARCHES = frozenset({"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"})
ARCHES_OF_LIBC = {"many": LINUX_ARCHES | {"ppc64"}, "musl": LINUX_ARCHES}
IOS = re.compile(r"^ios_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>arm64|x86_64)_(?:iphoneos|iphonesimulator)$")
ANDROID = re.compile(r"^android_(?P<api>\d+)_(?P<arch>armeabi_v7a|arm64_v8a|x86|x86_64)$")


def is_allowed_platform(platform: str) -> bool:
    """True for a platform tag with a published ABI the index accepts."""
    if platform in FIXED_PLATFORMS or IOS.match(platform) or ANDROID.match(platform):
        return True
    if (macos := MACOS.match(platform)) is not None:
        return macos["major"] in MACOS_MAJORS and macos["arch"] in MACOS_ARCHES
    if (linux := GLIBC_OR_MUSL.match(platform)) is not None:
        return linux["arch"] in ARCHES_OF_LIBC[linux["libc"]]
    return False


def check_wheel_platforms(filename: str) -> None:
    """Raises InvalidPlatformTag when any platform tag of the (already parsed once, so valid)
    wheel filename is not one the index accepts."""
    _name, _version, _build, tags = parse_wheel_filename(filename)
    for platform in sorted({tag.platform for tag in tags}):
        if not is_allowed_platform(platform):
            raise InvalidPlatformTag(f"Binary wheel '{filename}' has an unsupported platform tag '{platform}'.")
