#!/usr/bin/env bash
# Remake docs/orders-stack-graph.png, the README's picture: the example stack drawn by
# `cfn-arch-lint graph --format html` and photographed by headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"${CFN_ARCH_LINT:-cfn-arch-lint}" graph fixtures/examples/orders-stack.yaml --format html -o "$work/orders.html"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$work/profile" \
  --window-size="${WINDOW:-1400,1250}" --screenshot="$work/orders.png" "file://$work/orders.html" 2>/dev/null
cp "$work/orders.png" docs/orders-stack-graph.png
echo "wrote docs/orders-stack-graph.png"
