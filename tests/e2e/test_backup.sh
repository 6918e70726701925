# End to end: "tierd --backup FILE" copies the database while tierd runs and
# commits. The copy is whole (integrity_check), one self-contained file,
# mode 0600, holds every change acknowledged before it began, and a tierd
# started on it (with the same server key) serves the data and verifies
# the audit chain. An existing FILE and a missing database are refused.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

tierd_config
init_admin root
tierd_start
tier_as root enroll "$CODE"
expect_rc 0 "root enrols"
tier_as root org add bg 集团
expect_rc 0 "a BG"
for i in $(seq 1 20); do
	tier_as root org add bu "事业部$i" --parent 集团 || die "adding BU $i"
done
pass "20 BUs added before the backup"

note "a backup while writes go on"
(
	for i in $(seq 1 40); do
		TIER_CONFIG_DIR=$(person_dir root) "$TIER" --server "$SERVER" \
			org add bu "后来$i" --parent 集团 >/dev/null 2>&1
	done
) &
writer=$!
sleep 0.2
LAST_CMD="tierd --backup"
"$TIERD" -d "$DATADIR" --backup "$E2E_TMP/backup.db" >"$OUT" 2>"$ERR"
RC=$?
wait "$writer"
expect_rc 0 "tierd --backup exits 0 beside a running tierd"
expect_out "integrity ok" "it reports the copy checked"
expect_mode "$E2E_TMP/backup.db" 600 "the backup"
[ -e "$E2E_TMP/backup.db-wal" ] && fail "a -wal file lies beside the backup" ||
	pass "no -wal beside the backup"
[ "$(dbq "$E2E_TMP/backup.db" "PRAGMA journal_mode")" = delete ] &&
	pass "the backup is a self-contained file (journal_mode delete)" ||
	fail "journal mode $(dbq "$E2E_TMP/backup.db" "PRAGMA journal_mode")"
[ "$(dbq "$E2E_TMP/backup.db" "PRAGMA integrity_check")" = ok ] &&
	pass "integrity_check of the copy is ok" || fail "the copy is damaged"
[ "$(dbq "$E2E_TMP/backup.db" "PRAGMA user_version")" = "$(dbq "$DATADIR/tier.db" "PRAGMA user_version")" ] &&
	pass "the copy has the live schema version" || fail "schema versions differ"
bus=$(dbq "$E2E_TMP/backup.db" "SELECT count(*) FROM units WHERE name LIKE '事业部%'")
[ "$bus" = 20 ] && pass "every BU acknowledged before the backup is in it" ||
	fail "the backup holds $bus of the 20 BUs"
later=$(dbq "$E2E_TMP/backup.db" "SELECT count(*) FROM units WHERE name LIKE '后来%'")
note "the backup caught $later of the 40 BUs added while it ran"
ls "$E2E_TMP" | grep -q partial && fail "a partial file was left behind" ||
	pass "no partial file left behind"

note "what is refused"
"$TIERD" -d "$DATADIR" --backup "$E2E_TMP/backup.db" >"$OUT" 2>"$ERR"
RC=$?
expect_rc 1 "an existing file is not overwritten"
expect_err "exists: remove it or choose another name" "and the error says what to do"
"$TIERD" -d "$E2E_TMP/nowhere" --backup "$E2E_TMP/other.db" >"$OUT" 2>"$ERR"
RC=$?
expect_rc 1 "a data directory without a database is refused"
expect_err "no database at" "naming where it looked"
[ -e "$E2E_TMP/other.db" ] && fail "a file was created anyway" || pass "and nothing is created"
"$TIERD" -d "$DATADIR" --backup "$E2E_TMP/x.db" --init-admin x >"$OUT" 2>"$ERR"
RC=$?
expect_rc 2 "--backup with --init-admin is a usage error"

note "a tierd restored from the backup"
FP=$(server_fingerprint)
tierd_stop
live_bus=$(dbq "$DATADIR/tier.db" "SELECT count(*) FROM units WHERE kind = 2")
mv "$DATADIR/tier.db" "$E2E_TMP/live.db"
rm -f "$DATADIR/tier.db-wal" "$DATADIR/tier.db-shm"
cp "$E2E_TMP/backup.db" "$DATADIR/tier.db"
tierd_start
[ -n "$FP" ] && [ "$(server_fingerprint)" = "$FP" ] &&
	pass "the restored tierd has the same server key" ||
	fail "server key $(server_fingerprint), was $FP"
tier_as root --output json org list
expect_rc 0 "and answers root"
n=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(sum(1 for u in d["units"] if u["name"].startswith("事业部")))' "$OUT")
[ "$n" = 20 ] && pass "it serves the 20 BUs" || fail "it serves $n of the 20 BUs"
tier_as root audit verify
expect_rc 0 "its audit chain verifies"
note "live tierd had $live_bus BUs; the backup $((20 + later))"
expect_tierd_alive "after the restore"
finish
