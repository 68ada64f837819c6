#!/bin/sh
# Regenerate docs/report-*.png: normkit reports screenshotted by headless Chromium
# (Debian: apt-get install chromium). Run from the repository's root after `make run`.
set -eu
ROOT=$(pwd)
BIN=$ROOT/.venv/bin
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# Short names on the pages: work in the temporary directory.
cp sample_data/sample.csv "$TMP/"
cd "$TMP"

# Mean 1e6 + 0.008 with standard deviation 10 (exactly, in the sample), and Poisson(3) counts.
$BIN/python - data.csv <<'EOF'
import sys

import numpy as np
import pandas as pd

rng = np.random.default_rng(7)
x = rng.normal(size=5000)
x = (x - x.mean()) / x.std() * 10 + 1e6 + 0.008
pd.DataFrame({"large_mean": x, "counts": rng.poisson(3, size=5000)}).to_csv(sys.argv[1], index=False)
EOF

$BIN/normkit fit sample.csv --exclude id -o sample.json -q
$BIN/normkit report sample.csv -s sample.json -q --columns income,altitude_m,visits \
    -o sample-data.html
$BIN/normkit fit data.csv -o data.json -q
$BIN/normkit report data.csv -s data.json -q --columns large_mean -o large-mean.html
$BIN/normkit report data.csv -s data.json -q --columns counts -o counts.html

shot() {  # name, height
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --window-size="1400,$2" --screenshot="$ROOT/docs/report-$1.png" "file://$TMP/$1.html"
}
shot sample-data 2150
shot large-mean 900
shot counts 900
