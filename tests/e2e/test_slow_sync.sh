# End to end: on a disk whose syncs are slow, a write committed while the
# log is being synced for an earlier one gets a sync of its own at once, up
# to four running together, rather than waiting for the running sync to end
# and then for another. Six writes sent a fraction of a sync apart make six
# batches and five syncs: one each for the first four, and one shared by the
# two that came while all four ran. Each write is answered, and all of them
# survive kill -9. A client that pipelines behind a write waiting for its
# sync is not read meanwhile: tierd holds at most two frames of its input,
# the kernel's buffers the rest, and all of it is answered afterwards. The
# disk-faults preload ($DISK_FAULTS) makes every sync of tierd take
# SYNC_DELAY_US (2 s) longer than the disk does.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

: "${DISK_FAULTS:?DISK_FAULTS must name the disk-faults preload library}"
DELAY_US=${SYNC_DELAY_US:-2000000}
WRITES=6
GAP=0.25 # seconds between writes: far less than a sync

tierd_config "http_listen = 127.0.0.1:0"
init_admin root
LD_PRELOAD=$DISK_FAULTS FSYNC_DELAY_US=$DELAY_US tierd_start
wait_for "$TIERD_LOG" "http: /health and /metrics on" 10 ||
	die "tierd did not log where /metrics is"
enroll_as root "$CODE"

note "$WRITES writes, $GAP s apart, while each sync takes $((DELAY_US / 1000)) ms more"
syncs0=$(tierd_metric tierd_fsyncs_total)
batches0=$(tierd_metric tierd_commit_batches_total)
BG_PIDS=()
for i in $(seq 1 "$WRITES"); do
	tier_bg root "write.$i" user add "slow-$i" --role researcher --scope "bu:unit $i"
	sleep "$GAP"
done
for i in $(seq 1 "$WRITES"); do
	if wait "${BG_PIDS[$((i - 1))]}" && [ -n "$(code_in "$E2E_TMP/write.$i.out")" ]; then
		pass "write $i answered with an enrolment code"
	else
		fail "write $i: $(head -c 300 "$E2E_TMP/write.$i.err")"
	fi
done
batches=$(($(tierd_metric tierd_commit_batches_total) - batches0))
syncs=$(($(tierd_metric tierd_fsyncs_total) - syncs0))
[ "$batches" -eq "$WRITES" ] &&
	pass "each write was a batch of its own" ||
	fail "$batches batches for $WRITES writes: they did not arrive apart"
[ "$syncs" -eq 5 ] &&
	pass "5 syncs: four overlapping, then one for the two that waited" ||
	fail "$syncs syncs for $batches batches, want 5"

note "pings pipelined behind a waiting write wait in the kernel, not in tierd"
# What loopback TCP can hold in flight: both ends' largest buffers.
kernel=$(($(awk '{print $3}' /proc/sys/net/ipv4/tcp_rmem) +
	$(awk '{print $3}' /proc/sys/net/ipv4/tcp_wmem)))
bound=$((kernel + (1 << 20))) # and tierd's two frames, with room to spare
OUT=$E2E_TMP/flood.out
RAWPEER_FLOOD_MB=$((4 * bound >> 20)) timeout 60 "$RAWPEER" flood 127.0.0.1 \
	"$PORT" "$(person_dir root)/id_x25519" >"$OUT" 2>"$E2E_TMP/flood.err" &&
	RC=0 || RC=$?
expect_rc 0 "rawpeer flood"
sent=$(json_get flood.sent)
pings=$(json_get flood.pings)
note "$sent bytes sent in $pings pings before the write was answered (bound $bound)"
[ "$(json_get flood.blocked)" = true ] &&
	pass "the socket refused pings while the write waited" ||
	fail "the socket took every ping at once: nothing was held back"
[ -n "$sent" ] && [ "$sent" -lt "$bound" ] &&
	pass "no more was taken than TCP's buffers and two frames hold" ||
	fail "$sent bytes were taken while the write waited, over $bound"
[ "$(json_get flood.written)" = true ] &&
	pass "the write was answered first" ||
	fail "the write was not answered: $(head -c 300 "$E2E_TMP/flood.err")"
[ -n "$pings" ] && [ "$pings" -gt 0 ] && [ "$(json_get flood.pongs)" = "$pings" ] &&
	pass "every pipelined ping was answered, in order" ||
	fail "$(json_get flood.pongs) pongs for $pings pings: $(tail -c 300 "$E2E_TMP/flood.err")"

note "kill -9, restart on the same data directory: every answered write is there"
tierd_kill9
tierd_restart_same_port
run_as root user list
expect_rc 0 "user list after the restart"
for i in $(seq 1 "$WRITES"); do
	e2e_has "$OUT" "slow-$i" && pass "slow-$i survived" || fail "slow-$i is missing"
done
tierd_stop
finish
