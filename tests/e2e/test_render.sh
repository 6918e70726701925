# End to end: how the real tier prints lists and reports. Tables with mixed
# Chinese and Latin text line up by display width (each column starts at the
# same terminal column on every line); --output csv prints every list and
# report as RFC 4180 CSV with CRLF line ends that Python's csv module reads
# back with the same number of fields on each record; styles (colour) appear
# on a terminal, but not with NO_COLOR, not with TERM=dumb and not in a pipe.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

# The interpreter itself, not a version manager's shim: it runs often here.
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3

jget() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$OUT" "$1" 2>/dev/null
}

add_user() {
	tier_as root user add "$1" --role "$2" --scope "$3"
	[ "$RC" -eq 0 ] || die "root could not add $1: $(cat "$ERR")"
	enroll_as "$1" "$(code_in "$OUT")"
}

# expect_aligned WHAT: the table on stdout has its columns (cells are
# separated by two or more spaces, none empty before the last) starting at
# the header's display columns on every line.
expect_aligned() {
	if "$PY" - "$OUT" <<'PY'; then
import re, sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
def starts(line):
    return [width(line[:m.start()]) for m in re.finditer(r"\S+(?: \S+)*", line)]
lines = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n") if l]
head = starts(lines[0])
wide = False
for l in lines[1:]:
    s = starts(l)
    if s != head[:len(s)]:
        sys.exit("misaligned: %r at %s, header at %s" % (l, s, head))
    wide = wide or width(l) != len(l)
if not wide or len(lines) < 3:
    sys.exit("the table has no wide characters or too few rows")
PY
		pass "$1: columns start at the same display column"
	else
		fail "$1: columns are not aligned by display width"
	fi
}

# expect_csv WHAT: stdout is CSV: CRLF line ends only, every record with the
# header's field count, at least min records (default 2: header and a row).
expect_csv() {
	if "$PY" - "$OUT" "${2:-2}" <<'PY'; then
import csv, io, sys
raw = open(sys.argv[1], "rb").read()
if not raw.endswith(b"\r\n") or raw.count(b"\n") != raw.count(b"\r\n"):
    sys.exit("not CRLF throughout")
rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
if len(rows) < int(sys.argv[2]):
    sys.exit("%d records, want %s" % (len(rows), sys.argv[2]))
if any(len(r) != len(rows[0]) for r in rows):
    sys.exit("ragged: %r" % rows)
PY
		pass "$1 prints CSV"
	else
		fail "$1 does not print clean CSV"
	fi
}

ESC=$(printf '\033')

# on_tty PERSON ARGS...: runs tier as PERSON on a pseudo-terminal (script),
# with the environment the caller exported; output in $OUT.
on_tty() {
	local who=$1
	shift
	LAST_CMD="[as $who, on a terminal] tier $*"
	TIER_CONFIG_DIR=$(person_dir "$who") timeout 60 script -qec \
		"$(printf '%q ' "$TIER" --server "$SERVER" "$@")" /dev/null \
		</dev/null >"$OUT" 2>"$ERR"
	RC=$?
}

tierd_config
init_admin root
tierd_start
enroll_as root "$CODE"

note "an organisation with mixed names"
tier_as root org add bg 集团
tier_as root org add bu 华东事业部 --parent 集团
tier_as root org add segment 华东 --parent 华东事业部
tier_as root org add segment 'Auto 汽车' --parent 华东事业部
tier_as root org add bu 'West BU' --parent 集团
tier_as root org add segment 'Sichuan四川' --parent 'West BU'
expect_rc 0 "the organisation is set up"
add_user sm segment_mgr 'segments:华东,Auto 汽车'
add_user vp bu_vp 'bu:华东事业部'
add_user am account_mgr 'segments:华东'
tier_as root user add pending --role auditor --scope all --display-name '待登记 Auditor'
expect_rc 0 "a user who never enrols"

for n in 'ABC有限公司' '华为技术' 'Zeta, "Quoted" Ltd' '小米 Mi'; do
	tier_as sm customer add --bu 华东事业部 "$n" --industry 制造 \
		--revenue 2026=$((RANDOM + 1000)) --revenue 2025=0 --reason first
	[ "$RC" -eq 0 ] || die "customer $n: $(cat "$ERR")"
done
tier_as vp --output json cycle create --bu 华东事业部 --year 2027
CYCLE=$(jget 'd["cycle"]["id"]')
tier_as vp criteria set "$CYCLE" --criterion 'reach:100:0-10:市场覆盖, "reach"'
tier_as vp cycle open "$CYCLE"
expect_rc 0 "an open cycle"
for id in 1 2 3; do
	tier_as sm candidate propose --cycle "$CYCLE" --segment 华东 --customer $id
	tier_as sm candidate score $id reach=8
	tier_as sm candidate submit $id --tier key --owner am
done
tier_as vp candidate approve 1
tier_as vp candidate reject 2 --reason '不合适'
expect_rc 0 "one approved, one rejected, one pending"
# Until tomorrow: a run across midnight UTC keeps the deputy.
TODAY=$(date -u +%F)
TOMORROW=$(date -u -d "+1 day" +%F)
tier_as vp delegate add am --from "$TODAY" --until "$TOMORROW"
expect_rc 0 "a delegation"

note "alignment by display width"
tier_as root org list
expect_rc 0 "org list"
expect_aligned "org list"
tier_as sm customer abc --year 2026
expect_rc 0 "customer abc"
head -n -1 "$OUT" >"$OUT.t" && mv "$OUT.t" "$OUT" # the footer line
expect_aligned "customer abc"
tier_as sm candidate list --cycle "$CYCLE"
head -n -1 "$OUT" >"$OUT.t" && mv "$OUT.t" "$OUT"
expect_aligned "candidate list"

note "CSV from every list and report"
tier_as root --output csv user list
expect_csv "user list" 5
tier_as root --output csv org list
expect_csv "org list" 7
"$PY" - "$OUT" <<'PY' && pass "the CSV holds the names as given" || fail "the CSV lost a name"
import csv, sys
names = [r[1] for r in csv.reader(open(sys.argv[1], encoding="utf-8", newline=""))]
assert "Auto 汽车" in names and "Sichuan四川" in names, names
PY
tier_as vp --output csv cycle list
expect_csv "cycle list"
tier_as sm --output csv customer list
expect_csv "customer list" 5
"$PY" - "$OUT" <<'PY' && pass "quotes and commas survive CSV" || fail "a quoted name is broken in CSV"
import csv, sys
names = [r[2] for r in csv.reader(open(sys.argv[1], encoding="utf-8", newline=""))]
assert 'Zeta, "Quoted" Ltd' in names, names
PY
tier_as sm --output csv candidate list --cycle "$CYCLE"
expect_csv "candidate list" 4
expect_no_out "candidates" "no count line after the CSV"
tier_as vp --output csv queue
expect_csv "queue"
tier_as am --output csv queue
expect_csv "an empty queue (header only)" 1
tier_as vp --output csv targets --cycle "$CYCLE"
expect_csv "targets"
expect_no_out "approved targets" "no title above the CSV"
tier_as vp --output csv funnel --cycle "$CYCLE"
expect_csv "funnel"
tier_as vp --output csv delegate list
expect_csv "delegate list"
tier_as vp --output csv audit show candidate 1
expect_csv "audit show" 4
tier_as vp --output csv criteria show "$CYCLE"
expect_csv "criteria show"
expect_out '"市场覆盖, ""reach"""' "a description with a comma and quotes is quoted"
tier_as vp --output csv candidate show 1
expect_csv "candidate show (label,value records)" 5
tier_as sm --output csv customer abc --year 2026
expect_csv "customer abc" 5

note "colour only on a terminal without NO_COLOR"
tier_as vp candidate list --cycle "$CYCLE"
expect_no_out "$ESC" "a pipe gets no escape sequences"
export TERM=xterm
unset NO_COLOR
on_tty vp candidate list --cycle "$CYCLE"
expect_rc 0 "candidate list on a terminal"
expect_out "${ESC}[32mapproved" "approved is green on a terminal"
expect_out "${ESC}[31mrejected" "rejected is red"
expect_out "${ESC}[33mpending" "pending is yellow"
on_tty vp cycle list
expect_out "${ESC}[32mopen" "an open cycle is green"
on_tty root user list
expect_out "${ESC}[33mnot yet" "a user not yet enrolled is yellow"
NO_COLOR=1 on_tty vp candidate list --cycle "$CYCLE"
expect_rc 0 "candidate list on a terminal with NO_COLOR"
expect_out "approved" "the list is there"
expect_no_out "$ESC" "NO_COLOR: no escape sequences"
TERM=dumb on_tty vp candidate list --cycle "$CYCLE"
expect_no_out "$ESC" "TERM=dumb: no escape sequences"
on_tty vp --output csv candidate list --cycle "$CYCLE"
expect_no_out "$ESC" "CSV on a terminal: no escape sequences"

finish
