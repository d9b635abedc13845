"""platform tags: libc detection and the native wheel tag; pure functions on real inputs."""

import os

import pytest
from _otel_injector import platform_tags


def test_libc_detection(tmp_path, monkeypatch):
    musl = tmp_path / 'musl'
    musl.mkdir()
    (musl / 'ld-musl-x86_64.so.1').write_text('')
    monkeypatch.setattr(os, 'confstr', lambda name: (_ for _ in ()).throw(ValueError(name)))
    assert platform_tags.libc(lib_dirs=[str(musl)]) == 'musl'
    monkeypatch.undo()
    assert platform_tags.libc() == 'glibc'  # this machine (Debian)


@pytest.mark.parametrize(
    'machine,libc,tag',
    [
        ('x86_64', 'glibc', 'manylinux_x86_64'),
        ('AMD64', 'glibc', 'manylinux_x86_64'),
        ('aarch64', 'musl', 'musllinux_aarch64'),
        ('arm64', 'glibc', 'manylinux_aarch64'),
        ('riscv64', 'glibc', None),
        ('x86_64', None, None),
    ],
)
def test_native_tag(machine, libc, tag, monkeypatch):
    monkeypatch.setattr(platform_tags, 'libc', lambda: None)
    assert platform_tags.native_tag(machine=machine, libc_name=libc) == tag
