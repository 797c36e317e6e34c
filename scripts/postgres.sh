# Sourced by ./batch and .ci/run: finds or starts a PostgreSQL for Batch and prints its connection string.
# A local Debian cluster is used when no Docker engine answers; the server refuses to run as root,
# so it is driven through pg_ctlcluster / runuser -u postgres.

BATCH_PG_ROLE=${BATCH_PG_ROLE:-batch}
BATCH_PG_PASSWORD=${BATCH_PG_PASSWORD:-batch}
BATCH_PG_DATABASE=${BATCH_PG_DATABASE:-batch}
BATCH_PG_PORT=${BATCH_PG_PORT:-5432}

batch_pg_connection_string() {
  echo "Host=127.0.0.1;Port=${BATCH_PG_PORT};Username=${BATCH_PG_ROLE};Password=${BATCH_PG_PASSWORD};Database=${BATCH_PG_DATABASE}"
}

batch_docker_engine_answers() {
  command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1
}

batch_as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

# Installs (Debian) and starts a local cluster, then makes sure the role and database exist.
batch_local_postgres() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "PostgreSQL is not installed: installing Debian's postgresql package" >&2
    if [ "$(id -u)" != 0 ]; then echo "run as root, or install postgresql yourself" >&2; return 1; fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  fi
  local version cluster
  read -r version cluster _ < <(pg_lsclusters -h | head -n 1)
  if [ -z "${version:-}" ]; then
    version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
    cluster=main
    pg_createcluster "$version" "$cluster" >&2
  fi
  if ! pg_isready -q -h 127.0.0.1 -p "$BATCH_PG_PORT"; then
    pg_ctlcluster "$version" "$cluster" start >&2
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$BATCH_PG_PORT" && break; sleep 1; done
  batch_as_postgres psql -q -p "$BATCH_PG_PORT" -v ON_ERROR_STOP=1 <<SQL >&2
SELECT 'CREATE ROLE ${BATCH_PG_ROLE} LOGIN CREATEDB PASSWORD ''${BATCH_PG_PASSWORD}'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${BATCH_PG_ROLE}')\gexec
SELECT 'CREATE DATABASE ${BATCH_PG_DATABASE} OWNER ${BATCH_PG_ROLE}'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${BATCH_PG_DATABASE}')\gexec
SQL
  batch_pg_connection_string
}
