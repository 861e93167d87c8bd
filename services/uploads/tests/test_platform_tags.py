"""Wheel platform tags: given a wheel filename, when checked, then accepted or refused by name."""

import pytest

from services.uploads.domain.errors import InvalidPlatformTag
from services.uploads.domain.platform_tags import check_wheel_platforms, is_allowed_platform

ALLOWED = [
    "any", "win32", "win_amd64", "win_arm64", "win_ia64", "manylinux1_x86_64", "manylinux2010_i686",
    "manylinux2014_aarch64", "manylinux_2_28_x86_64", "manylinux_2_17_ppc64", "musllinux_1_2_aarch64",
    "macosx_10_9_x86_64", "macosx_11_0_arm64", "macosx_14_0_universal2", "macosx_10_6_intel",
    "macosx_26_0_arm64", "linux_armv6l", "linux_armv7l", "ios_13_0_arm64_iphoneos",
    "ios_13_0_x86_64_iphonesimulator", "android_21_arm64_v8a", "android_24_x86_64",
]
REFUSED = [
    "linux_x86_64", "linux_aarch64", "macosx_9_0_x86_64", "macosx_11_0_sparc", "manylinux_2_28_sparc",
    "musllinux_1_2_ppc64", "manylinux2014_riscv64", "ios_13_0_arm64", "android_21_mips",
    "cygwin_3_x86_64", "freebsd_13_amd64",
]


@pytest.mark.parametrize("platform", ALLOWED)
def test_a_platform_with_a_published_abi_is_allowed(platform):
    assert is_allowed_platform(platform)


@pytest.mark.parametrize("platform", REFUSED)
def test_a_platform_without_a_published_abi_is_refused(platform):
    assert not is_allowed_platform(platform)


def test_a_wheel_with_one_unsupported_tag_among_compressed_tags_is_refused():
    filename = "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.linux_x86_64.whl"
    with pytest.raises(InvalidPlatformTag) as raised:
        check_wheel_platforms(filename)
    assert raised.value.message == f"Binary wheel '{filename}' has an unsupported platform tag 'linux_x86_64'."


def test_a_pure_python_wheel_passes():
    check_wheel_platforms("demo-1.0-py3-none-any.whl")
