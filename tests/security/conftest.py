"""Fixtures of the security suite: one warm grader per isolation mode, a listener, a secret."""

from __future__ import annotations

import os
import secrets

import pytest

from graders.grade import Grader
from graders.sandbox.launch import worker_launch
from tests.security.support import FAST, ROOMY, Listener

MODES = ("bwrap", "process")
#: CI sets this so that a machine without a working bubblewrap fails the suite instead of skipping
REQUIRE_BWRAP = "DNNGRADE_REQUIRE_BWRAP"
MARKER = "dnngrade-secret-" + secrets.token_hex(8)


@pytest.fixture(scope="session")
def marker():
    """A secret in the grader's environment, set before any worker starts; no attack may see it."""
    os.environ["DNNGRADE_TEST_SECRET"] = MARKER
    yield MARKER
    os.environ.pop("DNNGRADE_TEST_SECRET", None)


@pytest.fixture(scope="session")
def bwrap_works():
    works = worker_launch("auto").mode == "bwrap"
    if not works and os.environ.get(REQUIRE_BWRAP):
        pytest.fail("%s is set but the bubblewrap sandbox cannot start here: %s"
                    % (REQUIRE_BWRAP, worker_launch("auto").note))
    return works


@pytest.fixture(params=MODES)
def mode(request, bwrap_works):
    if request.param == "bwrap" and not bwrap_works:
        pytest.skip("bubblewrap is not available here")
    return request.param


@pytest.fixture(scope="session")
def shared_graders(marker):
    """One warm grader per mode for the whole suite: attacks follow each other on the same worker,
    so every test also checks that the previous attacks left nothing behind."""
    graders: dict[str, Grader] = {}
    yield graders
    for grader in graders.values():
        grader.close()


@pytest.fixture
def grader(mode, shared_graders):
    if mode not in shared_graders:
        shared_graders[mode] = Grader(limits=FAST, sandbox=mode)
    return shared_graders[mode]


@pytest.fixture
def roomy_grader(mode, shared_graders):
    """As ``grader``, with the time to touch the whole memory limit (see ``ROOMY``)."""
    key = mode + "-roomy"
    if key not in shared_graders:
        shared_graders[key] = Grader(limits=ROOMY, sandbox=mode)
    return shared_graders[key]


@pytest.fixture(scope="session")
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def outside(tmp_path):
    """The folder holding the submission, with a file beside it that no attack may touch."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "beside.txt").write_text("another student's work\n")
    return folder
