"""The mimalloc purge delay MMT sets for Arrow's memory pool, unless the operator set one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("given, expected", [(None, "1000"), ("5", "5")])
def test_purge_delay(given, expected):
    environment = {key: value for key, value in os.environ.items() if key != "MIMALLOC_PURGE_DELAY"}
    if given is not None:
        environment["MIMALLOC_PURGE_DELAY"] = given
    printed = subprocess.run(
        [sys.executable, "-c", "import os, mmt; print(os.environ['MIMALLOC_PURGE_DELAY'])"],
        env=environment, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert printed == expected
