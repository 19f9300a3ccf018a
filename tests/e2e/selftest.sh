#!/usr/bin/env bash
# tests/e2e/selftest.sh - the end-to-end test bed on its own, with a hook
# that does nothing: nsd, pdns-recursor, a dns2tcp and an iodine tunnel
# through the recursor. Needs root (port 53 on 127.0.0.3, network
# namespaces, tun devices) and nsd, pdns-recursor, dns2tcp, iodine, socat,
# dnsutils. Exits 77 (skipped) when not root.
set -uo pipefail
here=$(dirname "$0")
# shellcheck source=tests/integration/lib.sh
. "$here/../integration/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
    echo "selftest: needs root" >&2
    exit 77
fi
# shellcheck source=tests/e2e/components.sh
. "$here/components.sh"

nsd_start || exit 1
dns2tcp_start || exit 1
recursor_start "$here/trivial.lua" || exit 1

check "www.example.test through the recursor" 198.51.100.10 \
    "$(dig @127.0.0.1 -p "$rec_port" www.example.test +short +time=2 +tries=1)"
check "www.example.test on $rec_addr53:53" 198.51.100.10 \
    "$(dig @"$rec_addr53" www.example.test +short +time=2 +tries=1)"
check "a TXT record" '"hello"' \
    "$(dig @127.0.0.1 -p "$rec_port" txt.example.test TXT +short +time=2 +tries=1)"
check "any name under words.example.test" 198.51.100.20 \
    "$(dig @127.0.0.1 -p "$rec_port" correct.horse.battery.words.example.test +short +time=2 +tries=1)"
check "any name under busy.test (a wildcard)" 198.51.100.20 \
    "$(dig @127.0.0.1 -p "$rec_port" host17.busy.test +short +time=2 +tries=1)"
check "the hex beacon-like name has an answer" 198.51.100.30 \
    "$(dig @127.0.0.1 -p "$rec_port" t88d8de31bbea.6b65722f.66e3fae3.example.test +short +time=2 +tries=1)"
check "a name not in the zone: NXDOMAIN" NXDOMAIN \
    "$(dig @127.0.0.1 -p "$rec_port" nope.example.test +time=2 +tries=1 |
        sed -n 's/.*status: \([A-Z]*\),.*/\1/p')"

check "64 KiB through dns2tcp and the recursor" ok "$(dns2tcp_transfer 65536)"
echo "dns2tcp: 64 KiB echoed in $(cat "$e2e_dir/dns2tcp.ms" 2>/dev/null) ms"

s=$(date +%s%N)
check "iodine through the recursor" connected "$(iodine_check 30)"
echo "iodine: $((($(date +%s%N) - s) / 1000000)) ms to connect (setup included)"

recursor_stop
check "the recursor stopped" "" "$rec_pid"
finish
