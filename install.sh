#!/usr/bin/env bash
# install.sh - builds dnsoracle and installs it on a Debian 12 machine.
#
#   sudo ./install.sh            install (or upgrade) everything
#   PREFIX=/opt/dnsoracle ./install.sh
#
# Installs the packages it needs, builds a release build in ./build-release,
# installs the programs under $PREFIX (default /usr/local) and puts the
# configuration in /etc/dnsoracle: dnsoracle.conf and allowlist.txt are
# written only when absent, so an upgrade never overwrites your edits (the
# shipped versions are installed beside them as *.dist).
set -euo pipefail
cd "$(dirname "$0")"
prefix=${PREFIX:-/usr/local}
etc=/etc/dnsoracle

if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root (it installs packages and writes $etc)" >&2
    exit 2
fi

packages=(cmake make gcc pkg-config libpsl-dev publicsuffix libinih-dev libbsd-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

echo "== building (build-release)"
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DDNSORACLE_TESTS=OFF \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_SYSCONFDIR=/etc >/dev/null
cmake --build build-release -j"$(nproc)"
echo "== installing under $prefix"
cmake --install build-release >/dev/null

install -d -m 0755 "$etc"
install -m 0644 oracle/dnsoracle.conf.example "$etc/dnsoracle.conf.dist"
install -m 0644 oracle/allowlist.default "$etc/allowlist.txt.dist"
if [ ! -e "$etc/allowlist.txt" ]; then
    install -m 0644 oracle/allowlist.default "$etc/allowlist.txt"
fi
if [ ! -e "$etc/dnsoracle.conf" ]; then
    sed "s|^allowlist_file =\$|allowlist_file = $etc/allowlist.txt|" \
        oracle/dnsoracle.conf.example >"$etc/dnsoracle.conf"
    chmod 0644 "$etc/dnsoracle.conf"
fi
"$prefix/bin/dnsoracle_score" -q -c "$etc/dnsoracle.conf" </dev/null
echo "== installed: $prefix/bin/dnsoracle_score, $prefix/bin/dnsoracle_train, $etc/dnsoracle.conf"
echo "   try: echo www.example.com | dnsoracle_score -c $etc/dnsoracle.conf"
