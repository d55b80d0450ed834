#!/bin/sh
# deps.sh: installs the Debian packages Lathe builds, tests and demos with.
# Idempotent: installs only what is missing. As non-root it prints the
# install line and stops, since it cannot install for you.
#
#   scripts/deps.sh build   what `make demo` needs
#   scripts/deps.sh test    that, plus the test oracles and the fuzzing compiler
set -eu

build="build-essential cmake pkg-config libjansson-dev zlib1g-dev libyaml-dev libsqlite3-dev libssl-dev liblapacke-dev libopenblas-dev"
test="$build clang libclang-rt-14-dev python3 python3-pandas python3-sklearn"

case "${1:-build}" in
build) wanted=$build ;;
test) wanted=$test ;;
*) echo "usage: scripts/deps.sh build|test" >&2; exit 2 ;;
esac

missing=""
for pkg in $wanted; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "lathe needs these Debian packages:$missing" >&2
    echo "install them with:  sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
