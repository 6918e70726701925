# End to end: peers that break the wire protocol on purpose (oversized and
# empty frames, garbage in the handshake and after it, a connection that never
# speaks) are cut off without a reply, and an enrolled client keeps being
# served after each; 50 pipelined requests are answered in order; SIGTERM
# still ends tierd cleanly.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

TIERD_EXTRA=("handshake_timeout = 2")
tierd_config
init_admin root
tierd_start
enroll_as root "$CODE"
KEY=$(person_dir root)/id_x25519

for mode in oversize zero garbage-handshake garbage-transport slowloris \
	anonymous-status bad-prologue; do
	note "rawpeer $mode"
	RAWPEER_HANDSHAKE_TIMEOUT=2 rawpeer_expect "$mode" 127.0.0.1 "$PORT"
	expect_tierd_alive "after $mode"
	run_as root status
	expect_rc 0 "status still served after $mode"
	expect_out "Noise_XX_25519_ChaChaPoly_BLAKE2b" "status output after $mode"
done

note "pipelining"
rawpeer_expect pipeline 50 127.0.0.1 "$PORT" "$KEY"
rawpeer_expect pipeline 1 127.0.0.1 "$PORT" "$KEY"

note "many misbehaving peers at once"
pids=()
for i in $(seq 1 10); do
	"$RAWPEER" oversize 127.0.0.1 "$PORT" >/dev/null 2>&1 &
	pids+=($!)
	"$RAWPEER" garbage-transport 127.0.0.1 "$PORT" >/dev/null 2>&1 &
	pids+=($!)
done
bad=0
for p in "${pids[@]}"; do
	wait "$p" || bad=$((bad + 1))
done
LAST_CMD=""
if [ "$bad" -eq 0 ]; then
	pass "20 concurrent bad peers all cut off"
else
	fail "$bad of 20 concurrent bad peers were not cut off as expected"
fi
expect_tierd_alive "after the concurrent bad peers"
run_as root whoami
expect_rc 0 "whoami after the concurrent bad peers"

tierd_stop
finish
