# Sourced by .ci/run: starts a throwaway PostgreSQL server for the store tests (issue 11 point 7) and
# exports NHISCAN_TEST_POSTGRES. Debian's server package is installed when no initdb is found; the
# cluster lives in a temporary directory, listens on 127.0.0.1 only at a free port (no Unix socket
# outside that directory), trusts loopback, and is stopped and removed on exit, failure included.
# Durability is off (fsync, full-page writes): the data lives as long as the run.
pg_bin=$(dirname "$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)")
if [ ! -x "$pg_bin/initdb" ]; then
  # Without a main cluster: the package would otherwise create one and may start it on port 5432.
  mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/nhiscan-ci.conf
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  pg_bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
fi
pg_dir=$(mktemp -d -t nhiscan-pg.XXXXXX)
# initdb refuses root: as root the server runs as the package's `postgres` user (created when missing).
pg_as=()
if [ "$(id -u)" = 0 ]; then
  # runuser and useradd live in sbin, which a minimal PATH may lack.
  PATH="$PATH:/usr/sbin:/sbin"
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  chown postgres "$pg_dir"
  pg_as=(runuser -u postgres --)
fi
pg_stop() {
  "${pg_as[@]}" "$pg_bin/pg_ctl" stop -D "$pg_dir/data" -m immediate >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap pg_stop EXIT
# A free port: a random one that nothing answers on (bash's /dev/tcp; no other tool needed).
pg_port=$((20000 + RANDOM % 40000))
while (exec 3<>"/dev/tcp/127.0.0.1/$pg_port") 2>/dev/null; do pg_port=$((20000 + RANDOM % 40000)); done
"${pg_as[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$pg_dir/initdb.log" ||
  { cat "$pg_dir/initdb.log"; echo "postgres: initdb failed"; exit 1; }
"${pg_as[@]}" "$pg_bin/pg_ctl" start -w -t 60 -D "$pg_dir/data" -l "$pg_dir/server.log" \
  -o "-h 127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c full_page_writes=off -c synchronous_commit=off" >/dev/null ||
  { cat "$pg_dir/server.log"; echo "postgres: the server did not start"; exit 1; }
export NHISCAN_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pg_port/postgres"
echo "postgres: $("$pg_bin/postgres" --version) on 127.0.0.1:$pg_port, data in $pg_dir"
