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
# The others each enrol from a configuration directory of their own.
as() {
	who=$1
	shift
	TIER_CONFIG_DIR="$data/client-$who" ./build/tier "$@"
}
person() {
	name=$1
	shift
	c=$(./build/tier user add "$name" "$@" | sed -n 's/^code: *//p')
	as "$name" --server "$server" enroll "$c" >/dev/null 2>&1
}

step "tier org add bg 工业集团; tier org add bu 传动 --parent 工业集团; two segments"
./build/tier org add bg 工业集团 >/dev/null
./build/tier org add bu 传动 --parent 工业集团 >/dev/null
./build/tier org add segment 华东 --parent 传动 >/dev/null
./build/tier org add segment 华南 --parent 传动 >/dev/null
./build/tier org list
step "tier user add li.wei --role segment_mgr --scope segments:华东,华南 --display-name 李伟"
added=$(./build/tier user add li.wei --role segment_mgr --scope 'segments:华东,华南' --display-name '李伟')
echo "$added"
as li.wei --server "$server" enroll "$(echo "$added" | sed -n 's/^code: *//p')" >/dev/null 2>&1
person zhang.min --role bu_vp --scope bu:传动 --display-name 张敏
step "tier user list"
./build/tier user list

step "[zhang.min, BU VP] tier cycle create --bu 传动 --year 2027; criteria; open"
cycle=$(as zhang.min --output json cycle create --bu 传动 --year 2027 | python3 -c 'import json,sys; print(json.load(sys.stdin)["cycle"]["id"])')
as zhang.min criteria set "$cycle" --criterion '规模:50:0-10:营业额潜力' \
	--criterion '匹配度:30:0-10:与产品线的匹配' --criterion '信用:20:0-5' >/dev/null
as zhang.min cycle open "$cycle" >/dev/null
as zhang.min criteria show "$cycle"

step "[li.wei] tier customer add; candidate propose; score; submit"
cust=$(as li.wei --output json customer add --bu 传动 '华东精密机械有限公司' --industry 机械 --region 上海 | python3 -c 'import json,sys; print(json.load(sys.stdin)["customer"]["id"])')
cand=$(as li.wei --output json candidate propose --cycle "$cycle" --segment 华东 --customer "$cust" | python3 -c 'import json,sys; print(json.load(sys.stdin)["candidate"]["id"])')
as li.wei candidate score "$cand" 规模=8 匹配度=7 信用=3 >/dev/null
as li.wei candidate explain "$cand"
as li.wei candidate submit "$cand" --tier key --owner li.wei >/dev/null

step "[zhang.min] tier queue; tier candidate approve $cand"
as zhang.min queue
as zhang.min candidate approve "$cand"
step "tier targets --cycle $cycle"
as zhang.min targets --cycle "$cycle"
step "[li.wei] tier visit add; tier complaint add; tier customer show $cust"
today=$(date -u +%Y-%m-%d)
as li.wei visit add "$cust" --date "$today" --received-by '采购部 王经理' \
	--content '新产品介绍' --progress 询价 --next "$(date -u -d '+30 days' +%Y-%m-%d)" >/dev/null
as li.wei complaint add "$cust" --category delivery --description '交货延迟' \
	--handling '已催货' >/dev/null
as li.wei customer show "$cust"

step "[li.wei] two more customers with revenue; tier customer abc --year 2026"
as li.wei customer add --bu 传动 '江南泵业' --revenue 2026=2400000 >/dev/null
as li.wei customer add --bu 传动 'Delta Motion GmbH' --revenue 2026=300000 >/dev/null
as li.wei customer update "$cust" --revenue 2026=900000 >/dev/null
as li.wei customer abc --bu 传动 --year 2026

step "tier audit verify"
./build/tier audit verify

step "tierd -d demo-data/server --backup demo-data/backup.db   (online, while tierd runs)"
./build/tierd -d "$data/server" --backup "$data/backup.db"

echo
echo "tierd log: $data/tierd.log; admin client files: $TIER_CONFIG_DIR"
if [ "$serve" -eq 1 ]; then
	echo "tierd is serving on $server; stop it with Ctrl-C."
	wait $pid
fi
