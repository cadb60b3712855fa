# Finds the local services for bin/test (sourced; needs VENV_PY): the PostgreSQL server on
# 127.0.0.1:5432 and the Redis server on 127.0.0.1:6379 when they answer and DATABASE_URL
# or REDIS_URL is unset. Redis database 13: CI uses 15, so the two never share keys.
if [ -z "${DATABASE_URL:-}" ]; then
  if "$VENV_PY" -c 'import psycopg; psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()' 2>/dev/null; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/kalytera"
  fi
fi
if [ -z "${REDIS_URL:-}" ]; then
  if "$VENV_PY" -c 'import redis; redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()' 2>/dev/null; then
    export REDIS_URL="redis://127.0.0.1:6379/13"
  fi
fi
