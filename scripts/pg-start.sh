#!/usr/bin/env bash
# Start Debian's PostgreSQL cluster on loopback and create the test role and database (idempotent).
set -euo pipefail
ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$ver main"; then
  pg_createcluster "$ver" main >/dev/null
fi
pg_ctlcluster "$ver" main start 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q && break
  sleep 1
done
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_roles WHERE rolname='wangdi'\" | grep -q 1 || psql -q -c \"CREATE ROLE wangdi LOGIN SUPERUSER PASSWORD 'wangdi'\""
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_database WHERE datname='wangdi_test'\" | grep -q 1 || createdb -O wangdi wangdi_test"
echo "PostgreSQL $ver running on 127.0.0.1:5432 (db wangdi_test)"
