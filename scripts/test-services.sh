#!/usr/bin/env bash
# Makes sure the services the test suite talks to are there: PostgreSQL on
# 127.0.0.1:5432 (trust auth for user postgres), Debian's OpenSSH server
# binary (the SFTP interoperability tests start their own sshd on a loopback
# port) and python3 with defusedxml (the independent X12 validator of the
# conformance checks). Installs what is missing when running as root;
# otherwise says what to do. Arguments pick some of postgres, sshd and
# python; none means all three.
set -euo pipefail

PGHOST_ADDR=${CLEARHOUSE_TEST_PGHOST:-127.0.0.1}
PGPORT=${CLEARHOUSE_TEST_PGPORT:-5432}

is_root() { [ "$(id -u)" = 0 ]; }
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_up() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$PGHOST_ADDR" -p "$PGPORT"
  else
    (exec 3<>"/dev/tcp/$PGHOST_ADDR/$PGPORT") 2>/dev/null
  fi
}

ensure_postgres() {
  pg_up && return 0
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    if ! is_root; then
      echo "PostgreSQL is not answering on $PGHOST_ADDR:$PGPORT: install and start it (trust auth for user postgres), or run make test as root" >&2
      exit 1
    fi
    echo "installing PostgreSQL (Debian package postgresql)" >&2
    apt_install postgresql
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ -z "$ver" ]; then
    echo "PostgreSQL is installed but has no cluster: run pg_createcluster" >&2
    exit 1
  fi
  hba=/etc/postgresql/$ver/main/pg_hba.conf
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || pg_ctlcluster --skip-systemctl-redirect "$ver" main restart
  for _ in $(seq 1 60); do pg_up && return 0; sleep 0.5; done
  echo "PostgreSQL did not start on $PGHOST_ADDR:$PGPORT" >&2
  exit 1
}

ensure_sshd() {
  [ -x /usr/sbin/sshd ] && return 0
  if ! is_root; then
    echo "OpenSSH server (/usr/sbin/sshd) is missing: install the openssh-server package, or run make test as root" >&2
    exit 1
  fi
  echo "installing OpenSSH server (Debian package openssh-server)" >&2
  apt_install openssh-server
}

# The validator (../shared/tools/x12-oracle/x12valid) runs /usr/bin/python3
# or python3 with defusedxml. Without root, say so and go on: the
# conformance run decides whether that skips or fails.
ensure_python() {
  local py
  for py in /usr/bin/python3 python3; do
    "$py" -c 'import defusedxml' >/dev/null 2>&1 && return 0
  done
  if ! is_root; then
    echo "python3 with defusedxml is missing (Debian packages python3 and python3-defusedxml): the X12 conformance checks will not run" >&2
    return 0
  fi
  echo "installing python3 and defusedxml (Debian packages python3, python3-defusedxml)" >&2
  apt_install python3 python3-defusedxml
}

[ $# -gt 0 ] || set -- postgres sshd python
for service in "$@"; do
  case "$service" in
    postgres) ensure_postgres ;;
    sshd) ensure_sshd ;;
    python) ensure_python ;;
    *) echo "test-services: unknown service $service (postgres, sshd or python)" >&2; exit 2 ;;
  esac
done
