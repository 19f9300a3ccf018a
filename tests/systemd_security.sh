#!/usr/bin/env bash
# tests/systemd_security.sh BUILD_DIR - the unit's sandboxing, as systemd
# rates it: `systemd-analyze security --offline=true` on the configured
# dnsoracle.service must say 2.0 or lower ("OK"). Skipped (77) without
# systemd-analyze.
set -uo pipefail
unit=$1/systemd/dnsoracle.service
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed: skipped"; exit 77; }
out=$(systemd-analyze security --offline=true "$unit" 2>&1)
level=$(echo "$out" | sed -n 's/.*Overall exposure level for dnsoracle.service: \([0-9.]*\).*/\1/p')
if [ -z "$level" ]; then
    echo "FAIL: systemd-analyze said:"
    echo "$out" | tail -20
    exit 1
fi
echo "exposure level $level (at most 2.0)"
awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' || { echo "$out" | grep '✗'; exit 1; }
