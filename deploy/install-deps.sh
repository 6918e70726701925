#!/bin/sh
# Installs the Debian 12 packages tier needs to build, test and run.
# Idempotent: packages already present are left alone, and apt is not touched at all
# when nothing is missing.
set -eu

pkgs="build-essential cmake pkg-config clang clang-format
libevent-dev libprotobuf-c-dev protobuf-c-compiler libsqlite3-dev sqlite3
libsodium-dev libcmocka-dev libinih-dev libjansson-dev libcsv-dev libutf8proc-dev
libncurses-dev libsystemd-dev scdoc python3 tmux redis-server redis-tools"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-deps: installing$missing" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
