#!/usr/bin/env bash
# Install Debian's chromium for the browser (e2e) tests, if it is not there yet.
#
# Idempotent: does nothing when a chromium binary already exists. Needs root (or
# passwordless sudo) and apt; runs with no stdin (CI). Prints the binary path on
# success. When chromium cannot be installed it says why and exits 1 under CI (CI set),
# but 0 elsewhere, so that `./dev test` still runs and the browser tests are skipped
# with the reason (tests/e2e/conftest.py: skipped locally, failed under CI).
# Playwright's own `playwright install` download does NOT work on this machine
# kind: only Debian's package does.
set -uo pipefail

log() { echo "install_browser: $*" >&2; }

in_ci() { case "${CI:-}" in ""|0|false|False|FALSE|no) return 1 ;; *) return 0 ;; esac; }

give_up() {
    log "ERROR: $*"
    if in_ci; then exit 1; fi
    log "(not under CI: continuing; the browser tests will be skipped)"
    exit 0
}

find_chromium() {
    local c
    for c in "${CHROMIUM_PATH:-}" /usr/lib/chromium/chromium /usr/bin/chromium; do
        if [ -n "$c" ] && [ -x "$c" ]; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

if path=$(find_chromium); then
    log "chromium already present: $path"
    echo "$path"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    give_up "chromium is missing and apt-get is not available; install Chromium by hand and set CHROMIUM_PATH."
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        give_up "chromium is missing and installing it needs root (no passwordless sudo)."
    fi
fi

export DEBIAN_FRONTEND=noninteractive
apt_log=$(mktemp)
trap 'rm -f "$apt_log"' EXIT

log "running apt-get update ..."
if ! $SUDO apt-get update -qq </dev/null >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    give_up "apt-get update failed (see above)."
fi

log "installing chromium (Debian package) ..."
if ! $SUDO apt-get install -y -qq chromium </dev/null >"$apt_log" 2>&1; then
    tail -n 40 "$apt_log" >&2
    give_up "apt-get install chromium failed (see above)."
fi

if path=$(find_chromium); then
    log "installed: $("$path" --version 2>/dev/null || echo "$path")"
    echo "$path"
    exit 0
fi
give_up "apt-get reported success but no chromium binary was found at /usr/lib/chromium/chromium or /usr/bin/chromium."
