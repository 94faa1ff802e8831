#!/usr/bin/env bash
# Serve the tracker for development (called by `make run`, after migrate and seed):
# a Celery worker with embedded beat in the background, Django's development server
# in the foreground. When the server stops (Ctrl-C), the worker is stopped too.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

WORKER_LOG=var/worker.log
worker_pid=""

stop_worker() {
    [ -n "$worker_pid" ] || return 0
    if kill -0 "$worker_pid" 2>/dev/null; then
        echo "stopping the Celery worker (pid $worker_pid)"
        kill -TERM "$worker_pid" 2>/dev/null || true
        # A warm shutdown finishes the task in hand; give it ten seconds.
        for _ in $(seq 20); do
            kill -0 "$worker_pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL "$worker_pid" 2>/dev/null || true
    fi
    wait "$worker_pid" 2>/dev/null || true
    worker_pid=""
}
trap stop_worker EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat <<TEXT

Workforce integration programme tracker
  Web        http://127.0.0.1:8000/
  API        http://127.0.0.1:8000/api/v1/
  API docs   http://127.0.0.1:8000/api/docs/
  Admin      http://127.0.0.1:8000/admin/
  Health     http://127.0.0.1:8000/healthz
  Worker log $WORKER_LOG    E-mails var/mail/
Press Ctrl-C to stop.

TEXT

# Background jobs of a script ignore SIGINT, so the worker is stopped by the trap.
.venv/bin/celery -A config worker -B --pool=solo --loglevel=info \
    -s var/celerybeat-schedule >"$WORKER_LOG" 2>&1 &
worker_pid=$!

.venv/bin/python manage.py runserver 127.0.0.1:8000
