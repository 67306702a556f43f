#!/bin/sh
# The HTML report in a real browser: Debian's chromium, headless, loads a rendered report from
# file:// and checks the counts, the highlighted first difference and that injected scripts did
# not run (xtask/tests/report.rs, `in_a_headless_browser`). Screenshots: reports/browser-test/.
# For .ci/run; installs chromium with apt-get when it is missing (needs root or sudo).
set -eu
cd "$(dirname "$0")/../.."
if ! command -v "${CHROMIUM:-chromium}" >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
fi
OVM_BROWSER_TEST=1 cargo test -p xtask --test report in_a_headless_browser -- --nocapture
