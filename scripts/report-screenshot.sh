#!/usr/bin/env bash
# Renders a report page in headless Chromium and saves a full-page screenshot, to look at the
# report as a reader would. Test/dev tool only: the melanoma binary never needs a browser.
#
#   scripts/report-screenshot.sh REPORT_DIR_OR_HTML [OUT.png] [WIDTHxHEIGHT]
#
# REPORT_DIR is what `melanoma report --out DIR` wrote (DIR/index.html). Installs Debian's
# chromium when it is missing (needs root and the Debian registry).
set -euo pipefail

target=${1:?usage: $0 REPORT_DIR_OR_HTML [OUT.png] [WIDTHxHEIGHT]}
out=${2:-report-screenshot.png}
size=${3:-1400x3000}

page=$target
[[ -d $target ]] && page=$target/index.html
[[ -f $page ]] || { echo "report-screenshot: no page at $page" >&2; exit 1; }
page=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")

browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then
    echo "report-screenshot: installing Debian's chromium" >&2
    apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; }
    browser=$(command -v chromium)
fi

# --no-sandbox: containers run as root without user namespaces.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$(realpath -m "$out")" \
    --window-size="${size/x/,}" "file://$page" 2>/dev/null
echo "report-screenshot: $out ($size) from $page"
