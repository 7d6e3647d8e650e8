"""Gunicorn settings read by ``gunicorn -w 4 app:app`` from the working folder.

Analyses of large datasets run for minutes when they are not sent to the job
queue, so the worker timeout is raised from gunicorn's 30 s; GUNICORN_TIMEOUT
overrides it. Command-line flags still win over this file.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "900"))
graceful_timeout = 30
