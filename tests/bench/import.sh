#!/bin/bash
# Measures a bulk customer import through the real tier and tierd: makes a
# CSV file of ROWS customers (default 100000) with a full card and two
# revenue years, imports it into a fresh server and prints the time taken
# (file read and checked, chunks sent, one transaction committed).
#
#   tests/bench/import.sh [BUILD_DIR] [ROWS]
#
# BUILD_DIR holds tier, tierd and tests/rawpeer (default: ./build).
BUILD=${1:-build}
ROWS=${2:-100000}
export TIERD=${TIERD:-$BUILD/tierd} TIER=${TIER:-$BUILD/tier}
export RAWPEER=${RAWPEER:-$BUILD/tests/rawpeer}
. "$(dirname "$0")/../e2e/lib.sh"

tierd_config
init_admin root
tierd_start
enroll_as root "$CODE"
tier_as root org add bg Group
tier_as root org add bu Sales --parent Group
tier_as root org add segment East --parent Sales
tier_as root user add sm --role segment_mgr --scope segments:East
code=$(code_in "$OUT")
enroll_as sm "$code"

FILE=$E2E_TMP/customers.csv
python3 - "$FILE" "$ROWS" <<'PY'
import sys
path, rows = sys.argv[1], int(sys.argv[2])
with open(path, "w", encoding="utf-8", newline="") as f:
    f.write("\ufeffname,industry,region,size,contacts,credit_limit,"
            "payment_terms,revenue_2025,revenue_2026\r\n")
    for i in range(rows):
        f.write('客户%06d有限公司,制造,"上海, 浦东",500-1000,'
                'Li %d,%d,net 30,%d,%d\r\n' % (i, i, i * 10, i * 100, i * 110))
PY
note "$(wc -c <"$FILE") bytes, $ROWS rows in $FILE"

# CPU seconds tierd has used so far (user + system), from /proc.
tierd_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' \
		"/proc/$TIERD_PID/stat"
}

cpu0=$(tierd_cpu)
start=$(now_ms)
tier_as sm customer import "$FILE" --bu Sales
end=$(now_ms)
cpu1=$(tierd_cpu)
expect_rc 0 "the import succeeds"
expect_out "imported $ROWS rows" "every row is imported"
echo "import of $ROWS customer rows: $((end - start)) ms wall clock" \
	"(tierd CPU: $(echo "$cpu1 - $cpu0" | bc) s)"
finish
