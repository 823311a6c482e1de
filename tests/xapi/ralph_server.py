"""Ralph's LRS on its fs backend, as `ralph runserver --backend fs` serves it, with two
changes a test needs: statements are appended to the one file the backend keeps (its
default refuses every write after the first: it creates the file each time), and no
reloader process watches the source tree.

Run as `python -m tests.xapi.ralph_server PORT` with the RALPH_* settings in the
environment (the fixture in `tests/xapi/ralph.py` sets them).
"""

from __future__ import annotations

import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
