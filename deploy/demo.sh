#!/bin/sh
# The main job, from a fresh clone of a Debian 12 machine: install what is
# needed, build, start a tierd on an embedded SQLite database in ./demo-data,
# enrol a demo administrator and show an authenticated, encrypted session
# through tier. With --serve, tierd keeps running in the foreground afterwards.
set -eu
cd "$(dirname "$0")/.."
serve=0
[ "${1:-}" = "--serve" ] && serve=1

./deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)"

data=$PWD/demo-data
rm -rf "$data"
mkdir -p "$data"
chmod 700 "$data"
export TIER_CONFIG_DIR="$data/client-admin"

# A free loopback port: tierd picks one and logs it.
./build/tierd -d "$data/server" -l 127.0.0.1:0 -n demo 2>"$data/tierd.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT INT TERM
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$data/tierd.log")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { cat "$data/tierd.log"; echo "demo: tierd did not start" >&2; exit 1; }
server=127.0.0.1:$port

if [ -t 1 ]; then
	step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
	step() { printf '\n$ %s\n' "$*"; }
fi

code=$(./build/tierd -d "$data/server" --init-admin admin | sed -n 's/.*: \([0-9A-Z-]*\) (expires.*/\1/p')
step "tierd -d demo-data/server --init-admin admin"
echo "enrolment code for admin: $code"

step "tier --server $server enroll $code"
./build/tier --server "$server" enroll "$code"
step "tier status"
./build/tier status
step "tier whoami"
./build/tier whoami
step "tier user add li.wei --role segment_mgr --scope segments:华东,华南 --display-name 李伟"
./build/tier user add li.wei --role segment_mgr --scope 'segments:华东,华南' --display-name '李伟'
step "tier user list"
./build/tier user list
step "tier --output json whoami"
./build/tier --output json whoami

echo
echo "tierd log: $data/tierd.log; admin client files: $TIER_CONFIG_DIR"
if [ "$serve" -eq 1 ]; then
	echo "tierd is serving on $server; stop it with Ctrl-C."
	wait $pid
fi
