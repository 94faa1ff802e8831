"""gunicorn's settings for the web process (docker-compose.yml and the Dockerfile run
``gunicorn -c gunicorn.conf.py config.wsgi:application --access-logfile -``; gunicorn
also reads this file by itself when started in this folder, and options given on the
command line win over it).

The timeout is the longest a request may take before gunicorn kills its worker. An
export is built whole before it is sent (docs/decisions.md, "Exports that are whole or
refused"), so it must finish inside it: the largest allowed, ``EXPORT_XLSX_MAX_ROWS``
(100,000 rows at about 12,000 rows a second) or ``EXPORT_CSV_MAX_ROWS`` (500,000 rows at
about 135,000 a second), takes under 10 seconds on the benchmark machine
(docs/benchmarks.md); 120 seconds leaves room for a slower or busier server. A worker
killed all the same sends no complete-looking file: the answer has not started, or is
shorter than its Content-Length.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
