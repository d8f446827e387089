"""qa-load for Python: the release qa-load binary, shipped in this package's wheel.

``pip install qa-load`` puts the binary where pip puts scripts (``qa-load`` on PATH in a
virtualenv); :func:`find_qa_load_bin` finds it from Python, wherever pip put it, the way ruff's
``find_ruff_bin`` does. ``python -m qa_load ARGS...`` runs it. The Django app is
``qa_load.django`` (``python manage.py qa_load ARGS...``).
"""

from __future__ import annotations

import os
import sys
import sysconfig

__all__ = ["find_qa_load_bin", "BIN_ENV"]

#: An explicit qa-load binary to run instead of the packaged one (e.g. a debug build in tests).
BIN_ENV = "QA_LOAD_BIN"


def _user_scheme() -> str:
    if sys.version_info >= (3, 10):
        return sysconfig.get_preferred_scheme("user")
    if os.name == "nt":
        return "nt_user"
    if sys.platform == "darwin" and getattr(sys, "_framework", None):
        return "osx_framework_user"
    return "posix_user"


def find_qa_load_bin() -> str:
    """The path of the qa-load binary.

    ``$QA_LOAD_BIN`` when set (it must name an existing file); else the binary pip installed with
    this package: the interpreter's scripts directory (a virtualenv's ``bin/``), the user scheme's
    (``pip install --user``), then ``bin/`` beside the package root (``pip install --target``).
    Raises FileNotFoundError naming where it looked.
    """
    override = os.environ.get(BIN_ENV)
    if override:
        if os.path.isfile(override):
            return override
        raise FileNotFoundError(f"{BIN_ENV}={override} is not a file")

    exe = "qa-load" + (sysconfig.get_config_var("EXE") or "")
    candidates = [os.path.join(sysconfig.get_path("scripts"), exe)]
    try:
        candidates.append(os.path.join(sysconfig.get_path("scripts", scheme=_user_scheme()), exe))
    except KeyError:
        pass
    pkg_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates.append(os.path.join(pkg_root, "bin", exe))
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        "the qa-load binary is not installed beside this package (looked in "
        + ", ".join(candidates)
        + f"); reinstall the qa-load wheel for this platform, or set {BIN_ENV}"
    )
