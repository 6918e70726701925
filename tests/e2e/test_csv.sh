# End to end: CSV import and export of customers, candidates and scores
# through the real tier and tierd. Files with problems (GB18030 bytes, an
# undecodable byte, ragged rows, bad numbers, an unknown column, duplicates
# within the file and against the database, an out-of-scale score) are
# refused and change nothing; --dry-run changes nothing; an export is UTF-8
# with a BOM, CRLF and RFC 4180 quoting, and imports back into another BU
# with the same cards; the progress bar shows on a terminal only.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

D=$E2E_TMP/csv
mkdir -p "$D"

# jget EXPR: a Python expression over the JSON on stdout (bound to d).
jget() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if not isinstance(v, bool) else str(v).lower())' "$OUT" "$1" 2>/dev/null
}

# py EXPR...: runs a Python program (for files and checks).
py() {
	python3 -c "$@"
}

add_user() {
	tier_as root user add "$1" --role "$2" --scope "$3"
	expect_rc 0 "root adds $1 ($2)"
	local code
	code=$(code_in "$OUT")
	[ -n "$code" ] || die "user add $1 printed no code"
	enroll_as "$1" "$code"
}

# count_customers BU: how many customers BU has (through an export).
count_customers() {
	tier_as mgr customer export --bu "$1" --file "$D/count.csv"
	[ "$RC" -eq 0 ] || { echo "-1"; return; }
	py 'import csv, sys
print(sum(1 for _ in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline=""))))' "$D/count.csv"
}

# expect_count BU N WHAT
expect_count() {
	local got
	got=$(count_customers "$1")
	if [ "$got" = "$2" ]; then
		pass "$3 ($1 has $2 customers)"
	else
		fail "$3: $1 has $got customers, want $2"
	fi
}

tierd_config "http_listen = 127.0.0.1:0"
init_admin root
tierd_start
wait_for "$TIERD_LOG" "http: /health and /metrics on" 10 ||
	die "tierd did not start /metrics"
enroll_as root "$CODE"

note "organisation and people"
tier_as root org add bg 集团
tier_as root org add bu 华东事业部 --parent 集团
tier_as root org add segment 华东 --parent 华东事业部
tier_as root org add bu 西部 --parent 集团
tier_as root org add segment 西南 --parent 西部
expect_rc 0 "root adds the organisation"
add_user sm segment_mgr 'segments:华东'
add_user vp bu_vp 'bu:华东事业部'
add_user mgr researcher 'segments:华东,西南'
add_user aud auditor all

note "a UTF-8 file without BOM, with quoting"
printf '%s\n' \
	'bu,name,industry,region,contacts,credit_limit,payment_terms,revenue_2025,revenue_2026' \
	'华东事业部,"Acme, Inc.",制造,上海,"Li 138, Wang 139",100000,net 30,500000,600000' \
	'华东事业部,"The ""Best"" Co",贸易,杭州,Zhao,,,,' \
	'华东事业部,上海精密,制造,上海,,2500,net 60,,42' >"$D/plain.csv"
tier_as sm customer import "$D/plain.csv"
expect_rc 0 "a UTF-8 file without BOM imports"
expect_out "imported 3 rows" "the import reports its rows"
expect_count 华东事业部 3 "three customers were added"
# The import logs one summary line; each row's own line is demoted to debug.
if grep -q "info: customer import .*: 3 rows, committed" "$TIERD_LOG" &&
	[ "$(grep -c "debug: customer [0-9]* added to" "$TIERD_LOG")" -ge 3 ] &&
	! grep -q "info: customer [0-9]* added to" "$TIERD_LOG"; then
	pass "the import logs one info line, its rows at debug"
else
	fail "import log lines: $(grep -E "customer [0-9]* added|customer import" "$TIERD_LOG" | head -5)"
fi
tier_as sm --output json customer list --search acme
ID=$(jget 'd["customers"][0]["id"]')
tier_as sm --output json customer show "$ID"
expect_jget() {
	local got
	got=$(jget "$1")
	if [ "$got" = "$2" ]; then pass "$3"; else fail "$3: $1 is '$got', want '$2'"; fi
}
expect_jget 'd["customer"]["contacts"]' 'Li 138, Wang 139' \
	"a quoted comma is kept in the cell"
expect_jget 'd["customer"]["credit_limit"]' 100000 "credit_limit is read"
expect_jget '[(y["year"], y["amount"]) for y in d["customer"]["revenue"]] == [(2025, 500000), (2026, 600000)]' \
	true "revenue_YYYY columns become revenue years"
tier_as sm audit show customer "$ID"
expect_out "customer.add" "each imported customer has its own audit entry"

note "a UTF-8 file with BOM"
printf '\xef\xbb\xbfname,region\r\n带BOM公司,北京\r\n' >"$D/bom.csv"
tier_as sm customer import "$D/bom.csv" --bu 华东事业部
expect_rc 0 "a file with a UTF-8 BOM imports (the BOM is not part of the first header)"
expect_count 华东事业部 4 "the BOM file added one customer"

note "encodings"
py 'import sys
open(sys.argv[1], "wb").write("name,region\r\n华南贸易有限公司,广州\r\n".encode("gb18030"))' "$D/gb.csv"
tier_as sm customer import "$D/gb.csv" --bu 华东事业部
expect_rc 9 "a GB18030 file is refused by default"
expect_err "--encoding gb18030" "the refusal hints at --encoding gb18030"
expect_err "line 2" "the refusal names the line of the first bad byte"
expect_count 华东事业部 4 "the refused file added nothing"
tier_as sm customer import "$D/gb.csv" --bu 华东事业部 --encoding gb18030
expect_rc 0 "the GB18030 file imports with --encoding gb18030"
tier_as sm --output json customer list --search 华南贸易
expect_jget 'd["customers"][0]["name"]' 华南贸易有限公司 \
	"the converted name is stored as the right UTF-8 text"
expect_jget 'd["customers"][0]["region"]' 广州 "the converted region too"
printf 'name\r\nok\r\nbad \xff\xfe here\r\n' >"$D/binary.csv"
tier_as sm customer import "$D/binary.csv" --bu 华东事业部
expect_rc 9 "a file in no known encoding is refused"
expect_err "neither UTF-8 nor GB18030" "the refusal says so"
expect_err "line 3" "and names the line"
printf '\xef\xbb\xbfname\r\n\xd6\xd0\xce\xc4\r\n' >"$D/bomgb.csv"
tier_as sm customer import "$D/bomgb.csv" --bu 华东事业部 --encoding gb18030
expect_rc 9 "--encoding gb18030 is refused for a file with a UTF-8 BOM"

note "bad files change nothing"
printf 'name,contacts\n"Multi\nLine",x\nSecond,"Li 138\nWang 139"\nThird,ok\n' >"$D/newline.csv"
tier_as sm customer import "$D/newline.csv" --bu 华东事业部
expect_rc 9 "line breaks inside cells are read, and refused as the server refuses them"
grep -qE '^2 +1 +name ' "$OUT" && pass "a cell spanning lines 2-3 is row 1 at line 2" ||
	fail "the multi-line name is not reported at line 2"
grep -qE '^4 +2 +contacts ' "$OUT" && pass "the next record is row 2 at line 4" ||
	fail "the multi-line contacts are not reported at line 4"
printf 'name,region\nA1,x\nA2,x,extra\nA3\n' >"$D/ragged.csv"
tier_as sm customer import "$D/ragged.csv" --bu 华东事业部
expect_rc 9 "ragged rows are refused"
expect_out "3 cells, but the header has 2 columns" "the long row is reported"
expect_out "1 cells, but the header has 2 columns" "the short row is reported"
py 'import sys
lines = open(sys.argv[1]).read().splitlines()
sys.exit(0 if any(l.startswith("3 ") for l in lines) and any(l.startswith("4 ") for l in lines) else 1)' "$OUT" &&
	pass "the problems carry lines 3 and 4" || fail "lines 3 and 4 are not reported"
printf 'name,credit_limit,revenue_2025\nN1,12x,1\nN2,5,-5\nN3,1,1\n' >"$D/numbers.csv"
tier_as sm customer import "$D/numbers.csv" --bu 华东事业部
expect_rc 9 "bad numbers are refused"
expect_out '"12x" is not a whole number' "the bad credit limit is named"
expect_out '"-5" is not a whole number' "the negative revenue is named"
printf 'name,nmae\nX,Y\n' >"$D/header.csv"
tier_as sm customer import "$D/header.csv" --bu 华东事业部
expect_rc 9 "an unknown column is refused"
expect_out 'unknown column "nmae"' "the unknown column is named"
printf 'name,region\n"open quote,x\n' >"$D/quote.csv"
tier_as sm customer import "$D/quote.csv" --bu 华东事业部
expect_rc 9 "an unterminated quote is refused"
expect_err "quoted field" "the refusal explains the quoting"
printf 'name\nDup Co\nFresh One\ndup  CO\n' >"$D/dupfile.csv"
tier_as sm customer import "$D/dupfile.csv" --bu 华东事业部
expect_rc 9 "a customer twice in one file is refused"
expect_out "repeats the customer of row 1 (line 2)" "the duplicate names the first row"
printf 'name\nBrand New Ltd\n"acme,  inc."\n' >"$D/dupdb.csv"
tier_as sm customer import "$D/dupdb.csv" --bu 华东事业部
expect_rc 9 "a customer already in the BU is refused"
expect_out "already has customer" "the clash names the existing customer"
expect_count 华东事业部 5 "no refused file added anything"
tier_as sm --output json customer list --search 'brand new'
expect_jget 'len(d["customers"])' 0 "the valid row of a refused file was not added"
tier_as aud customer import "$D/bom.csv" --bu 华东事业部
expect_rc 6 "an auditor may not import"

note "dry run, then a few thousand rows"
py 'import sys
with open(sys.argv[1], "w", newline="") as f:
    f.write("name,industry,region,credit_limit,revenue_2026\r\n")
    for i in range(2000):
        f.write("批量客户%05d,制造,上海,%d,%d\r\n" % (i, i * 10, i * 100))' "$D/bulk.csv"
tier_as sm customer import "$D/bulk.csv" --bu 华东事业部 --dry-run
expect_rc 0 "a valid file passes the dry run"
expect_out "dry run, nothing changed" "the dry run says nothing changed"
expect_count 华东事业部 5 "the dry run added nothing"
tier_as sm customer import "$D/dupdb.csv" --bu 华东事业部 --dry-run
expect_rc 9 "a dry run reports refused rows too"
expect_out "already has customer" "with the reason per row"
t0=$(now_ms)
tier_as sm customer import "$D/bulk.csv" --bu 华东事业部
t1=$(now_ms)
expect_rc 0 "2000 customers import"
[ -s "$ERR" ] && fail "a piped import printed on stderr: $(head -c 200 "$ERR")" ||
	pass "no progress bar when stderr is not a terminal"
note "2000 customer rows imported in $((t1 - t0)) ms"
expect_count 华东事业部 2005 "all 2000 rows are there"
py 'import sys
with open(sys.argv[1], "w", newline="") as f:
    f.write("name\r\n")
    for i in range(1000):
        f.write("终端客户%05d\r\n" % i)' "$D/tty.csv"
LAST_CMD="script tier customer import tty.csv"
TIER_CONFIG_DIR=$(person_dir sm) script -qec \
	"'$TIER' --server $SERVER customer import '$D/tty.csv' --bu 华东事业部" \
	"$D/typescript" >"$OUT" 2>"$ERR" </dev/null
RC=$?
expect_rc 0 "an import on a terminal succeeds"
expect_out "rows sent" "a terminal shows the progress bar"

note "export"
tier_as mgr customer export --bu 华东事业部 --file "$D/export.csv"
expect_rc 0 "customer export writes a file"
py 'import sys
b = open(sys.argv[1], "rb").read()
sys.exit(0 if b[:3] == b"\xef\xbb\xbf" else 1)' "$D/export.csv" &&
	pass "the export starts with EF BB BF" || fail "the export has no BOM"
# No stored text holds a line break, so every LF ends a record.
py 'import sys
b = open(sys.argv[1], "rb").read()
sys.exit(0 if b.count(b"\n") == b.count(b"\r\n") == 3006 else 1)' "$D/export.csv" &&
	pass "every record of the export ends with CRLF" ||
	fail "the export has a record not ending in CRLF"
grep -qF '"Acme, Inc."' "$D/export.csv" &&
	pass "a comma is quoted" || fail "a comma is not quoted"
grep -qF '"The ""Best"" Co"' "$D/export.csv" &&
	pass "quotes are doubled inside quotes" || fail "quotes are not doubled"
head -c 200 "$D/export.csv" | grep -q 'id,bu,name,industry' &&
	pass "the header names the columns" || fail "unexpected export header"
tier_as mgr customer export --bu 华东事业部
expect_rc 0 "customer export writes to stdout"
cmp -s "$OUT" "$D/export.csv" && pass "stdout and --file hold the same" ||
	fail "stdout differs from --file"

note "round trip into another BU"
tier_as mgr customer import "$D/export.csv" --bu 西部
expect_rc 0 "the export imports back into another BU"
tier_as mgr customer export --bu 西部 --file "$D/export2.csv"
py 'import csv, sys
def rows(p):
    out = []
    for r in csv.DictReader(open(p, encoding="utf-8-sig", newline="")):
        r.pop("id"); r.pop("bu")
        out.append(tuple(sorted(r.items())))
    return sorted(out)
a, b = rows(sys.argv[1]), rows(sys.argv[2])
sys.exit(0 if a == b and len(a) == 3005 else 1)' "$D/export.csv" "$D/export2.csv" &&
	pass "every card survives the round trip unchanged" ||
	fail "the round trip changed cards"

note "a marked change in volume needs the reason column"
printf 'name,revenue_2025,revenue_2026\nVolume Co,100,1000\n' >"$D/volume.csv"
tier_as mgr customer import "$D/volume.csv" --bu 西部
expect_rc 9 "a tenfold revenue change without a reason is refused, as customer add refuses it"
printf 'name,revenue_2025,revenue_2026,reason\nVolume Co,100,1000,新工厂投产\n' >"$D/volume.csv"
tier_as mgr customer import "$D/volume.csv" --bu 西部
expect_rc 0 "with a reason column it imports"
tier_as mgr --output json customer list --search 'volume co'
VID=$(jget 'd["customers"][0]["id"]')
tier_as mgr audit show customer "$VID"
expect_out "新工厂投产" "the reason is in the customer's audit entry"
note "candidates"
tier_as vp --output json cycle create --bu 华东事业部 --year 2027
CYCLE=$(jget 'd["cycle"]["id"]')
[ -n "$CYCLE" ] || die "cycle create printed no id"
tier_as vp criteria set "$CYCLE" --criterion 'reach:60:0-10' --criterion 'fit:40:0-5'
tier_as vp cycle open "$CYCLE"
expect_rc 0 "vp opens a cycle"
printf 'customer_id,customer,segment\n%s,,华东\n,上海精密,华东\n,全新客户,华东\n' "$ID" >"$D/cand.csv"
tier_as sm candidate import "$D/cand.csv" --cycle "$CYCLE" --dry-run
expect_rc 0 "the candidate file passes a dry run"
tier_as sm --output json candidate list --cycle "$CYCLE"
expect_jget 'd["total"]' 0 "the dry run proposed nothing"
tier_as sm --output json customer list --search 全新客户
expect_jget 'len(d["customers"])' 0 "the dry run added no customer"
tier_as sm candidate import "$D/cand.csv" --cycle "$CYCLE"
expect_rc 0 "candidates import"
expect_out "1 customers created, 3 candidates proposed" "one customer is new, three are proposed"
tier_as sm candidate import "$D/cand.csv" --cycle "$CYCLE"
expect_rc 9 "proposing the same customers again is refused"
expect_out "already candidate" "the refusal names the existing candidate"
printf 'customer,segment\n批量客户00001,华东\n批量客户00002,西南\n' >"$D/cand_bad.csv"
tier_as sm candidate import "$D/cand_bad.csv" --cycle "$CYCLE"
expect_rc 9 "a segment outside the cycle's BU is refused"
tier_as sm --output json candidate list --cycle "$CYCLE"
expect_jget 'd["total"]' 3 "refused candidate files proposed nothing"
tier_as sm candidate export --cycle "$CYCLE" --file "$D/cand_out.csv"
expect_rc 0 "candidate export"
py 'import csv, sys
r = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
ok = len(r) == 3 and {x["state"] for x in r} == {"proposed"} and "全新客户" in {x["customer"] for x in r}
sys.exit(0 if ok else 1)' "$D/cand_out.csv" &&
	pass "the candidate export lists the three proposals" ||
	fail "unexpected candidate export"

note "scores"
tier_as sm score export --cycle "$CYCLE" --file "$D/scores.csv"
expect_rc 0 "score export"
head -c 100 "$D/scores.csv" | grep -q 'candidate_id,customer,segment,reach,fit' &&
	pass "the score export has a column per criterion" ||
	fail "unexpected score export header"
py 'import csv, sys
r = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
w = csv.writer(open(sys.argv[2], "w", encoding="utf-8", newline=""))
w.writerow(["candidate_id", "customer", "segment", "reach", "fit"])
for i, x in enumerate(r):
    w.writerow([x["candidate_id"], x["customer"], x["segment"], 8, 99 if i == 2 else 4])' \
	"$D/scores.csv" "$D/scores_bad.csv"
tier_as sm score import "$D/scores_bad.csv" --cycle "$CYCLE"
expect_rc 9 "a score outside the scale is refused"
expect_out "outside it" "the refusal explains the scale"
tier_as sm --output json candidate list --cycle "$CYCLE" --state scored
expect_jget 'd["total"]' 0 "the refused score file scored nobody"
sed 's/,99$/,3/; s/,99\r$/,3\r/' "$D/scores_bad.csv" >"$D/scores_ok.csv"
tier_as sm score import "$D/scores_ok.csv" --cycle "$CYCLE"
expect_rc 0 "scores import"
expect_out "3 candidates scored" "three candidates are scored"
tier_as sm --output json candidate list --cycle "$CYCLE" --state scored
expect_jget 'd["total"]' 3 "all three are scored now"
gets=$(tierd_metric 'tierd_requests_total{kind="candidate_get"}')
lists=$(tierd_metric 'tierd_requests_total{kind="candidate_list"}')
tier_as sm score export --cycle "$CYCLE" --file "$D/scores2.csv"
[ "$(tierd_metric 'tierd_requests_total{kind="candidate_get"}')" = "$gets" ] &&
	[ "$(tierd_metric 'tierd_requests_total{kind="candidate_list"}')" = $((lists + 1)) ] &&
	pass "the score export reads one list page with lines, not each candidate" ||
	fail "score export: candidate_get $gets -> $(tierd_metric 'tierd_requests_total{kind="candidate_get"}'), candidate_list $lists -> $(tierd_metric 'tierd_requests_total{kind="candidate_list"}')"
py 'import csv, sys
r = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
sys.exit(0 if sorted((x["reach"], x["fit"]) for x in r) == [("8", "3"), ("8", "4"), ("8", "4")] else 1)' \
	"$D/scores2.csv" && pass "the score export shows the imported scores" ||
	fail "the score export does not show the imported scores"
printf 'candidate_id,reach\n999999,5\n' >"$D/scores_missing.csv"
tier_as sm score import "$D/scores_missing.csv" --cycle "$CYCLE"
expect_rc 9 "an unknown candidate is refused"
expect_out "no candidate 999999" "the refusal names it"

note "the imports of all connections share server.import_memory"
tierd_stop
tierd_config "import_memory = 1048576"
tierd_start
before=$(count_customers 华东事业部)
# 4000 rows of some 340 bytes, in chunks of 2000: the second passes 1 MiB.
py 'import sys
with open(sys.argv[1], "w", newline="") as f:
    f.write("name,profile\r\n")
    for i in range(4000):
        f.write("大客户%05d,%s\r\n" % (i, "p" * 320))' "$D/big.csv"
tier_as sm customer import "$D/big.csv" --bu 华东事业部
expect_rc 10 "an import past the server's staging memory is refused as unavailable"
expect_err "limit of 1 MiB for imports in memory" "the refusal names the limit"
expect_err "server.import_memory" "and the setting that raises it"
expect_count 华东事业部 "$before" "the refused import added nothing"
# Each import below stages some 550 KB: it fits only if the 690 KB the
# refused import staged, and then its own dry run, were released.
py 'import sys
with open(sys.argv[1], "w", newline="") as f:
    f.write("name,profile\r\n")
    for i in range(1600):
        f.write("中客户%05d,%s\r\n" % (i, "p" * 320))' "$D/mid.csv"
tier_as sm customer import "$D/mid.csv" --bu 华东事业部 --dry-run
expect_rc 0 "once the refused import's connection is gone, its memory is free"
tier_as sm customer import "$D/mid.csv" --bu 华东事业部
expect_rc 0 "and a dry run's too"
expect_count 华东事业部 $((before + 1600)) "the import under the limit has all its rows"

expect_tierd_alive "after every import"
finish
