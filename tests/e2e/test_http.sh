# End to end: with http_listen set, tierd answers GET /health and GET /metrics
# over plain HTTP; the metrics move with what it serves (requests by kind,
# errors by code, group commits, syncs), other paths and methods are refused,
# a stream of bad HTTP leaves it running, and without http_listen nothing
# listens.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

tierd_config "http_listen = 127.0.0.1:0"
init_admin root
tierd_start
wait_for "$TIERD_LOG" "http: /health and /metrics on" 10 ||
	die "tierd did not log where /health and /metrics are"
HPORT=$(tierd_http_port)
[ -n "$HPORT" ] && [ "$HPORT" != "$PORT" ] &&
	pass "tierd serves HTTP on its own port $HPORT" ||
	die "no HTTP port in the log"

note "health"
http_get /health
[ "$HSTATUS" = 200 ] && [ "$(cat "$HBODY")" = ok ] &&
	pass "GET /health is 200 ok" || fail "GET /health: $HSTATUS $(head -c 100 "$HBODY")"

note "metrics move with what tierd serves"
http_get /metrics
[ "$HSTATUS" = 200 ] && pass "GET /metrics is 200" || fail "GET /metrics: $HSTATUS"
case $HTYPE in
text/plain\;\ version=0.0.4*) pass "in the Prometheus text format ($HTYPE)" ;;
*) fail "content type $HTYPE" ;;
esac
status0=$(metric 'tierd_requests_total{kind="status"}')
enroll0=$(metric 'tierd_requests_total{kind="enroll"}')
refused0=$(metric 'tierd_request_errors_total{code="enrolment_refused"}')
batches0=$(metric tierd_commit_batches_total)
reads0=$(metric 'tierd_request_seconds_count{class="read"}')
writes0=$(metric 'tierd_request_seconds_count{class="write"}')
[ "$status0" != missing ] && [ "$refused0" != missing ] && [ "$batches0" != missing ] &&
	pass "requests, errors and commits are counted from the start" ||
	fail "metrics missing: status=$status0 refused=$refused0 batches=$batches0"
grep -q '^# TYPE tierd_requests_total counter$' "$HBODY" &&
	pass "each family has its TYPE line" || fail "no TYPE line for tierd_requests_total"
grep -q '^tierd_info{version="[0-9.]*",protocol="1",engine="sqlite [0-9.]*",schema="[0-9]*"} 1$' "$HBODY" &&
	pass "tierd_info names version, protocol, engine and schema" ||
	fail "tierd_info: $(grep '^tierd_info' "$HBODY")"

tier_as root enroll "$CODE"
expect_rc 0 "root enrols"
tier_as root status
expect_rc 0 "status"
tier_as root status
tier_as intruder enroll ABCD-EFGH-JKMN-PQRS
expect_rc 6 "an unknown code is refused"
tier_as root org add bg 华东事业群
expect_rc 0 "a write: an org unit"
http_get /metrics
[ "$(metric 'tierd_requests_total{kind="status"}')" = $((status0 + 2)) ] &&
	pass "two status requests counted" ||
	fail "status requests: $status0 -> $(metric 'tierd_requests_total{kind="status"}')"
[ "$(metric 'tierd_requests_total{kind="enroll"}')" = $((enroll0 + 2)) ] &&
	pass "two enrolments counted" || fail "enrolments: $enroll0 -> $(metric 'tierd_requests_total{kind="enroll"}')"
[ "$(metric 'tierd_request_errors_total{code="enrolment_refused"}')" = $((refused0 + 1)) ] &&
	pass "the refused enrolment counted by its code" ||
	fail "enrolment_refused: $refused0 -> $(metric 'tierd_request_errors_total{code="enrolment_refused"}')"
[ "$(metric tierd_commit_batches_total)" -gt "$batches0" ] &&
	[ "$(metric tierd_commit_requests_total)" -ge 1 ] &&
	pass "the writes went through group commits" ||
	fail "commits: $batches0 -> $(metric tierd_commit_batches_total)"
[ "$(metric tierd_commit_failures_total)" = 0 ] &&
	pass "no group commit failed" ||
	fail "tierd_commit_failures_total is $(metric tierd_commit_failures_total)"
reads=$(metric 'tierd_request_seconds_count{class="read"}')
writes=$(metric 'tierd_request_seconds_count{class="write"}')
[ "$reads" -ge $((reads0 + 2)) ] && [ "$writes" -ge $((writes0 + 1)) ] &&
	pass "answer times are counted, reads and writes apart ($reads0 -> $reads, $writes0 -> $writes)" ||
	fail "request_seconds counts: reads $reads0 -> $reads, writes $writes0 -> $writes"
[ "$(metric 'tierd_request_seconds_bucket{class="read",le="+Inf"}')" = "$reads" ] &&
	pass "the +Inf bucket holds every answer" || fail "+Inf bucket != count"
python3 -c 'import re, sys
b = [int(m.group(2)) for m in re.finditer(r"tierd_request_seconds_bucket\{class=\"write\",le=\"([^\"]+)\"\} (\d+)", open(sys.argv[1]).read())]
sys.exit(0 if len(b) == 13 and b == sorted(b) else 1)' "$HBODY" &&
	pass "13 write buckets, cumulative" || fail "write buckets are not 13 cumulative counts"
[ "$(metric tierd_fsyncs_total)" -ge 1 ] && pass "and the sync threads synced the log" ||
	fail "fsyncs: $(metric tierd_fsyncs_total)"
[ "$(metric 'tierd_database_bytes{file="tier.db"}')" -gt 0 ] &&
	pass "the database size is shown" || fail "database bytes: $(metric 'tierd_database_bytes{file="tier.db"}')"
[ "$(metric tierd_import_memory_bytes)" = 268435456 ] &&
	pass "the import memory limit is the default" || fail "import memory: $(metric tierd_import_memory_bytes)"

note "what is refused"
http_get /nothing
[ "$HSTATUS" = 404 ] && pass "another path is 404" || fail "GET /nothing: $HSTATUS"
http_get /metrics POST
[ "$HSTATUS" = 405 ] && pass "POST is 405" || fail "POST /metrics: $HSTATUS"
python3 -c 'import socket, sys
for junk in (b"\x16\x03\x01\x02\x00" * 50, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
             b"GET /health HTTP/1.1\r\nX: " + b"b" * 8000 + b"\r\n\r\n", b"\r\n" * 100):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    try:
        s.sendall(junk)
        s.recv(4096)
    except OSError:
        pass
    s.close()' "$HPORT"
http_get /health
[ "$HSTATUS" = 200 ] && pass "junk and oversized requests leave tierd serving" ||
	fail "after junk: $HSTATUS"
expect_tierd_alive "after the HTTP requests"

note "without http_listen nothing listens"
tierd_stop
tierd_config
tierd_start
wait_for "$TIERD_LOG" "ready" 10 || die "tierd did not get ready"
if grep -q "http:" "$TIERD_LOG"; then
	fail "tierd started HTTP without http_listen"
else
	pass "no HTTP without http_listen"
fi
python3 -c 'import socket, sys
s = socket.socket()
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0 else 1)' "$HPORT" &&
	pass "the old HTTP port is closed" || fail "something answers on $HPORT"
finish
