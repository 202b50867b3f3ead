#!/usr/bin/env bash
# Starts Debian's PostgreSQL cluster and creates the test role (idempotent).
set -euo pipefail
ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | grep -q online; then
  if ! pg_lsclusters -h | grep -q .; then pg_createcluster "$ver" main; fi
  pg_ctlcluster "$ver" main start
fi
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
su postgres -c "psql -v ON_ERROR_STOP=1 -q" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'patchwarden') THEN
    CREATE ROLE patchwarden LOGIN CREATEDB PASSWORD 'patchwarden';
  END IF;
END $$;
SQL
echo "PostgreSQL $ver is running; role patchwarden can create databases"
