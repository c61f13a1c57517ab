# Shared by scripts/browser-test and scripts/screenshots (sourced, not run): installs Debian's
# Chromium and playwright-core when missing, builds the `cuocthi` binary, and starts it on loopback
# on a fresh SQLite database in a temporary folder, with the demo contests (`serve --demo`) and the
# browser tests' two contests imported first. Everything is stopped and removed on exit.
#
# After `browser_server_start`: CUOCTHI_BASE_URL, CUOCTHI_FLOW_SLUG (30 questions, 15 minutes),
# CUOCTHI_TIMED_SLUG (30 questions, 1 minute + 5 s grace) and CUOCTHI_PRACTICE_SLUG are exported,
# and CUOCTHI_ADMIN_USER / CUOCTHI_ADMIN_PASS name a system administrator made with
# `cuocthi admin create` (no second factor yet: the console test sets it up).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/cuocthi-target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# debug (default: cargo test has built it already) or release.
CUOCTHI_PROFILE=${CUOCTHI_PROFILE:-debug}

BROWSER_TMP=""
BROWSER_SERVER_PID=""

browser_cleanup() {
    if [[ -n "$BROWSER_SERVER_PID" ]] && kill -0 "$BROWSER_SERVER_PID" 2>/dev/null; then
        kill "$BROWSER_SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$BROWSER_SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$BROWSER_SERVER_PID" 2>/dev/null || true
        wait "$BROWSER_SERVER_PID" 2>/dev/null || true
    fi
    if [[ -n "$BROWSER_TMP" && -d "$BROWSER_TMP" ]]; then
        rm -rf "$BROWSER_TMP"
    fi
}

# Debian's Chromium and the npm package that drives it; never a browser download.
browser_install() {
    if [[ ! -x /usr/bin/chromium ]]; then
        echo "== installing Debian's chromium"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq chromium >/dev/null
    fi
    if [[ ! -f "$ROOT/node_modules/playwright-core/package.json" ]]; then
        echo "== npm ci (playwright-core)"
        (cd "$ROOT" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
    fi
}

# HH:MM DD/MM/YYYY in Vietnam time (UTC+7, no daylight saving), `date -d` offsets like "-1 hour".
vn_time() {
    TZ=UTC-7 date -d "$1" '+%H:%M %d/%m/%Y'
}

import_contest() { # slug title minutes
    local file="$BROWSER_TMP/$1.toml"
    sed -e "s|@SLUG@|$1|" -e "s|@TITLE@|$2|" -e "s|@MINUTES@|$3|g" \
        -e "s|@OPENS@|$(vn_time '-1 hour')|" -e "s|@CLOSES@|$(vn_time '+1 day')|" \
        "$ROOT/tests/browser/fixtures/kiem-thu.toml.in" >"$file"
    "$BIN" contest import "$file" >"$BROWSER_TMP/import-$1.log" 2>&1 || {
        cat "$BROWSER_TMP/import-$1.log" >&2
        return 1
    }
}

# The caller sets `trap browser_cleanup EXIT` (and `trap 'exit 130' INT TERM`) first.
browser_server_start() {
    echo "== cargo build -p cuocthi ($CUOCTHI_PROFILE)"
    local flag=""
    [[ "$CUOCTHI_PROFILE" == release ]] && flag="--release"
    (cd "$ROOT" && cargo build -p cuocthi $flag --quiet)
    BIN="$CARGO_TARGET_DIR/$CUOCTHI_PROFILE/cuocthi"

    BROWSER_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cuocthi-browser.XXXXXX")
    export CUOCTHI_DATABASE_URL="sqlite://$BROWSER_TMP/cuocthi.db"
    export NO_COLOR=1
    cp "$ROOT/tests/browser/fixtures/phep-cong.csv" "$BROWSER_TMP/"
    export CUOCTHI_FLOW_SLUG=kiem-thu-trinh-duyet
    export CUOCTHI_TIMED_SLUG=kiem-thu-het-gio
    export CUOCTHI_PRACTICE_SLUG=thi-thu
    import_contest "$CUOCTHI_FLOW_SLUG" "Kiểm thử trình duyệt: 30 câu hỏi" 15
    import_contest "$CUOCTHI_TIMED_SLUG" "Kiểm thử trình duyệt: hết giờ làm bài" 1
    # A caller's own preparation of the database, before the server starts (scripts/screenshots).
    if [[ -n "${BROWSER_PREPARE:-}" ]]; then
        eval "$BROWSER_PREPARE"
    fi
    export CUOCTHI_ADMIN_USER=quantri
    export CUOCTHI_ADMIN_PASS="kiem-thu-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    CUOCTHI_ADMIN_PASSWORD="$CUOCTHI_ADMIN_PASS" "$BIN" admin create --username "$CUOCTHI_ADMIN_USER" \
        >"$BROWSER_TMP/admin-create.log" 2>&1 || {
        cat "$BROWSER_TMP/admin-create.log" >&2
        return 1
    }

    # Port 0: the system picks a free port, which the server logs.
    local log="$BROWSER_TMP/server.log"
    "$BIN" serve --listen 127.0.0.1:0 --demo >"$log" 2>&1 &
    BROWSER_SERVER_PID=$!
    local addr=""
    for _ in $(seq 300); do
        addr=$(grep -o 'addr=127\.0\.0\.1:[0-9]*' "$log" | head -n 1 | cut -d= -f2 || true)
        [[ -n "$addr" ]] && break
        if ! kill -0 "$BROWSER_SERVER_PID" 2>/dev/null; then
            echo "the server stopped:" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.1
    done
    if [[ -z "$addr" ]]; then
        echo "the server did not start in 30 s:" >&2
        cat "$log" >&2
        return 1
    fi
    export CUOCTHI_BASE_URL="http://$addr"
    curl -fsS --max-time 5 "$CUOCTHI_BASE_URL/healthz" >/dev/null
    echo "== cuocthi serving on $CUOCTHI_BASE_URL (database in $BROWSER_TMP)"
}
