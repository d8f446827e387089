"""``python -m qa_load ARGS...``: runs the qa-load binary with ARGS; its exit code is ours."""

from __future__ import annotations

import os
import subprocess
import sys

from qa_load import find_qa_load_bin


def main() -> int:
    try:
        qa_load = find_qa_load_bin()
    except FileNotFoundError as e:
        print(f"qa-load: {e}", file=sys.stderr)
        return 127
    argv = [qa_load, *sys.argv[1:]]
    try:
        if sys.platform != "win32":
            # The process becomes qa-load: signals (Ctrl-C) and the exit code are its own.
            os.execv(qa_load, argv)
        # Windows has no exec: wait for it, leaving Ctrl-C to qa-load (it rolls back).
        child = subprocess.Popen(argv)
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue
    except OSError as e:
        print(f"qa-load: cannot run {qa_load}: {e.strerror or e}", file=sys.stderr)
        return 126


if __name__ == "__main__":
    sys.exit(main())
