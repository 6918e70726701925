# End to end: the complaint card through the real tier binary. Complaints
# are opened (category, date and description checked; roles and scope
# enforced; nothing written on a refusal), listed with filters, resolved
# once (a second resolve is a conflict), shown on "tier customer show",
# audited, and pushed on the feed only to users who see the customer's BU.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

# jget EXPR: a Python expression over the JSON document on stdout (bound
# to d), printed (booleans as true/false).
jget() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if not isinstance(v, bool) else str(v).lower())' "$OUT" "$1" 2>/dev/null
}

# expect_jget EXPR WANT WHAT
expect_jget() {
	local got
	got=$(jget "$1")
	if [ "$got" = "$2" ]; then
		pass "$3 ($1 = $2)"
	else
		fail "$3: $1 is '$got', want '$2'"
	fi
}


tierd_config
init_admin root
tierd_start
enroll_as root "$CODE"

note "organisation, people, customers"
for unit in "bg 集团" "bu 华东事业部 --parent 集团" "segment 华东 --parent 华东事业部" \
	"bu 西部 --parent 集团" "segment 西南 --parent 西部"; do
	# shellcheck disable=SC2086
	tier_as root org add $unit
	[ "$RC" -eq 0 ] || die "org add $unit: $(cat "$ERR")"
done
add_person root am account_mgr 'segments:华东'
add_person root vp bu_vp 'bu:华东事业部'
add_person root res researcher 'segments:华东'
add_person root aud auditor
add_person root west segment_mgr 'segments:西南'
tier_as am --output json customer add --bu 华东事业部 '抱怨电器'
C1=$(jget 'd["customer"]["id"]')
[ -n "$C1" ] || die "customer not added: $(cat "$ERR")"

# A watcher in each BU, from the start of the feed.
WDIR=$E2E_TMP/watch
mkdir -p "$WDIR"
TIER_CONFIG_DIR=$(person_dir vp) "$TIER" --server "$SERVER" --output json \
	complaint list --watch --since 1 </dev/null >"$WDIR/vp.out" 2>"$WDIR/vp.err" &
P_VP=$!
TIER_CONFIG_DIR=$(person_dir west) "$TIER" --server "$SERVER" --output json \
	complaint list --watch --since 1 </dev/null >"$WDIR/west.out" 2>"$WDIR/west.err" &
P_WEST=$!

note "refusals: roles, scope, category, date, text; nothing is written"
tier_as res complaint add "$C1" --category price --description 太贵
expect_rc 6 "a researcher cannot open complaints"
tier_as aud complaint add "$C1" --category price --description 太贵
expect_rc 6 "an auditor cannot open complaints"
tier_as west complaint add "$C1" --category price --description 太贵
expect_rc 7 "a customer of another BU looks missing"
expect_err "no customer $C1" "the refusal is the missing-customer one"
tier_as am complaint add "$C1" --category taste --description 太贵
expect_rc 2 "an unknown category"
expect_err "quality, service, price, delivery or other" \
	"the usage error lists the categories"
tier_as am complaint add "$C1" --description 太贵
expect_rc 2 "the category is required"
tier_as am complaint add "$C1" --category price
expect_rc 2 "the description is required"
tier_as am complaint add "$C1" --category price --description 太贵 \
	--date 2026-13-01
expect_rc 2 "a month 13 is no date"
tier_as am --output json complaint add "$C1" --category price \
	--description 太贵 --date 1999-06-01
expect_rc 9 "a date before 2000 is refused by the server"
expect_jget 'd["error"]["field"]' complaint_add.complaint.opened_on \
	"the error names the date field"
tier_as am complaint add "$C1" --category price --description 太贵 \
	--date 2999-06-01
expect_rc 9 "a complaint from the future"
expect_err "after today" "the refusal says why"
tier_as am complaint add 999999 --category price --description 太贵
expect_rc 7 "an unknown customer"
tier_as vp --output json complaint list
expect_jget 'len(d["complaints"])' 0 "no refused complaint was recorded"

note "open complaints"
tier_as am --output json complaint add "$C1" --category quality \
	--description '电机异响' --date 2026-01-10 --handling '已派工程师'
expect_rc 0 "am opens a quality complaint"
K1=$(jget 'd["complaint"]["id"]')
expect_jget 'd["complaint"]["state"]' open "it starts open"
expect_jget 'd["complaint"]["category"]' quality "category quality"
expect_jget 'd["complaint"]["opened_on"]' 2026-01-10 "the date given"
expect_jget 'd["complaint"]["opened_by"]' am "opened by am"
# Today is the server's, taken between the two days read here: a run across
# midnight UTC may see either.
DAY0=$(date -u +%F)
tier_as vp --output json complaint add "$C1" --category delivery \
	--description '交货延迟两周'
DAY1=$(date -u +%F)
expect_rc 0 "vp opens a delivery complaint"
K2=$(jget 'd["complaint"]["id"]')
expect_jget "d['complaint']['opened_on'] in ('$DAY0', '$DAY1')" true \
	"the date defaults to today ($DAY0)"
tier_as vp --output json complaint list --open
expect_jget 'len(d["complaints"])' 2 "two open complaints"
tier_as vp --output json complaint list --category quality
expect_jget '[k["id"] for k in d["complaints"]]' "[$K1]" "--category quality"
tier_as vp --output json complaint list --customer "$C1"
expect_jget '[k["id"] for k in d["complaints"]]' "[$K2, $K1]" "newest first"
tier_as west --output json complaint list
expect_jget 'len(d["complaints"])' 0 "west sees no complaint of another BU"
tier_as west complaint list --bu 华东事业部
expect_rc 7 "a BU out of scope looks missing"
tier_as vp complaint list
expect_out "电机异响" "the table shows the description"
expect_out "open" "the table shows the state"

note "resolve once"
tier_as res complaint resolve "$K1" --resolution x
expect_rc 6 "a researcher cannot resolve"
tier_as west complaint resolve "$K1" --resolution x
expect_rc 7 "out of scope looks missing"
expect_err "no complaint $K1" "the missing-complaint message"
tier_as am complaint resolve "$K1"
expect_rc 2 "the resolution is required"
tier_as am complaint resolve 999999 --resolution x
expect_rc 7 "an unknown complaint"
tier_as am --output json complaint resolve "$K1" --resolution '更换轴承'
expect_rc 0 "am resolves K1"
expect_jget 'd["complaint"]["state"]' resolved "resolved"
expect_jget 'd["complaint"]["resolution"]' 更换轴承 "the resolution"
expect_jget 'd["complaint"]["handling"]' 已派工程师 "the handling is kept"
expect_jget 'd["complaint"]["resolved_by"]' am "resolved by am"
tier_as vp --output json complaint resolve "$K1" --resolution again
expect_rc 8 "resolving twice is a conflict"
expect_err "already resolved by am" "the refusal says who resolved it"
expect_jget 'd["error"]["code"]' conflict "the code is conflict"
tier_as vp --output json complaint list --open
expect_jget '[k["id"] for k in d["complaints"]]' "[$K2]" "one open complaint left"
tier_as vp --output csv complaint list
expect_out "ID,OPENED,CUSTOMER,NAME,CATEGORY,STATE" "csv header record"
expect_out "resolved" "csv shows the resolved state"

note "customer show carries the open complaints"
tier_as vp customer show "$C1"
expect_rc 0 "customer show"
if grep -qE '^complaints: +1 open$' "$OUT"; then
	pass "one open complaint"
else
	fail "the open complaint count is not 1: $(grep open "$OUT")"
fi
expect_out "交货延迟两周" "the open complaint is shown"
expect_no_out "电机异响" "the resolved one is not"
tier_as vp --output json customer show "$C1"
expect_jget '[k["id"] for k in d["open_complaints"]]' "[$K2]" "JSON lists it"

note "audit and feed"
tier_as vp --output json audit show complaint "$K1"
expect_rc 0 "audit show complaint"
expect_jget '[e["action"] for e in d["entries"]]' \
	"['complaint.add', 'complaint.resolve']" "both changes are audited"
expect_jget 'd["entries"][1]["before"]["state"]' open "before: open"
expect_jget 'd["entries"][1]["after"]["state"]' resolved "after: resolved"
tier_as west audit show complaint "$K1"
expect_rc 7 "west cannot read the history of an invisible complaint"
for i in $(seq 1 50); do
	[ "$(grep -c '"complaint\.' "$WDIR/vp.out")" -ge 3 ] && break
	sleep 0.1
done
python3 - "$WDIR/vp.out" "$K1" <<'PY' && pass "vp's watch got the three complaint changes" || fail "vp's watch: $(cat "$WDIR/vp.out" "$WDIR/vp.err" | tail -n 5)"
import json, sys
evs = [json.loads(l)["event"] for l in open(sys.argv[1], encoding="utf-8") if '"event"' in l]
acts = [e["action"] for e in evs]
assert acts == ["complaint.add", "complaint.add", "complaint.resolve"], acts
assert evs[2]["complaint"]["state"] == "resolved" and evs[2]["entity_id"] == int(sys.argv[2])
PY
if grep -q '"event"' "$WDIR/west.out"; then
	fail "west's watch got a complaint of another BU: $(cat "$WDIR/west.out")"
else
	pass "west's watch got nothing"
fi
kill "$P_VP" "$P_WEST" 2>/dev/null
wait "$P_VP" "$P_WEST" 2>/dev/null

finish
