# shellcheck shell=bash
# Helpers for scripts that need a throwaway PostgreSQL database on this machine's server.
# Source it: `. scripts/lib-pg.sh`. Loopback only: PGHOST must be 127.0.0.1, localhost, ::1 or a
# socket directory; the default user is postgres (trust auth on the development machines).

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER

# Refuses a PGHOST that is not on this machine.
pg_check_loopback() {
  case "$PGHOST" in
    127.*|localhost|::1|/*) ;;
    *) echo "PGHOST=$PGHOST is not loopback: refusing" >&2; return 1 ;;
  esac
}

# pg_create_db NAME: creates an empty database (fails if it exists).
pg_create_db() {
  pg_check_loopback || return 1
  pg_isready -q -t 10 || { echo "PostgreSQL is not answering on $PGHOST:$PGPORT" >&2; return 1; }
  createdb "$1"
}

# pg_drop_db NAME: drops it, closing any connection still open; quiet if it is gone.
pg_drop_db() {
  pg_check_loopback || return 1
  dropdb --if-exists --force "$1" 2>/dev/null || dropdb --if-exists "$1"
}

# pg_url NAME: the URL cuocthi takes for it.
pg_url() {
  local host=$PGHOST
  case "$host" in
    /*) echo "postgres://$PGUSER@localhost:$PGPORT/$1?host=$host" ;;
    ::1) echo "postgres://$PGUSER@[::1]:$PGPORT/$1" ;;
    *) echo "postgres://$PGUSER@$host:$PGPORT/$1" ;;
  esac
}
