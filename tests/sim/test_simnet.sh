#!/usr/bin/env bash
# tests/sim/test_simnet.sh BUILD_DIR - dnsoracle_simnet as the replay tool
# uses it: one log per seed, the log's format and order, a label for every
# name, the tunnels and benign families present, capture parents replaced,
# forwarder mode, and exit status 2 on bad usage.
set -uo pipefail
sim=$1/tests/sim/dnsoracle_simnet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        printf 'FAIL: %s\n  expected: %q\n  actual:   %q\n' "$1" "$2" "$3"
    fi
}
small=(-H 20 -d 2)

"$sim" "${small[@]}" -s 7 -o "$tmp/a.log" -l "$tmp/a.lab" 2>"$tmp/a.err"
check "runs" 0 "$?"
"$sim" "${small[@]}" -s 7 -l "$tmp/b.lab" >"$tmp/b.log" 2>/dev/null
check "same seed, same log (stdout as -o)" same "$(cmp -s "$tmp/a.log" "$tmp/b.log" && echo same)"
check "same seed, same labels" same "$(cmp -s "$tmp/a.lab" "$tmp/b.lab" && echo same)"
"$sim" "${small[@]}" -s 8 -o "$tmp/c.log" 2>/dev/null
check "another seed, another log" differ "$(cmp -s "$tmp/a.log" "$tmp/c.log" || echo differ)"
lines=$(wc -l <"$tmp/a.log")
check "a log of some size" yes "$([ "$lines" -gt 5000 ] && echo yes)"

# UNIX_TIME CLIENT QNAME QTYPE, times in the 2 hours from 2026-01-01, in order.
bad=$(awk 'NF != 4 || $1 !~ /^[0-9]+(\.[0-9]+)?$/ || $1 + 0 < p || $1 < 1767225600 ||
           $1 >= 1767225600 + 7200 || $2 !~ /^10\.20\.[0-9]+\.[0-9]+$/ ||
           $4 !~ /^(A|AAAA|TXT|NULL|CNAME|MX|SRV|PTR|HTTPS|ANY)$/ { n++ }
           { p = $1 + 0 } END { print n + 0 }' "$tmp/a.log")
check "every line well formed and in time order" 0 "$bad"

# Labels: exactly the distinct names of the log, one label each.
cut -d' ' -f3 "$tmp/a.log" | LC_ALL=C sort -u >"$tmp/names"
cut -f2 "$tmp/a.lab" | LC_ALL=C sort >"$tmp/labelled"
check "a label for every name of the log, and no other" same \
    "$(cmp -s "$tmp/names" "$tmp/labelled" && echo same)"
bad=$(awk -F'\t' 'NF != 2 || $1 !~ /^(benign|tunnel):[a-z0-9-]+$/' "$tmp/a.lab" | wc -l)
check "label lines are LABEL<TAB>NAME" 0 "$bad"
for family in popular connectivity cdn telemetry intranet dnssd av dnsbl ptr longtail; do
    check "benign:$family present" yes "$(grep -q "^benign:$family"$'\t' "$tmp/a.lab" && echo yes)"
done
check "tunnels present" yes "$(grep -q '^tunnel:' "$tmp/a.lab" && echo yes)"
check "the summary counts labels" yes "$(grep -q '^benign:popular ' "$tmp/a.err" && echo yes)"

# Built-in tools, each session from one host under a parent of its own.
"$sim" "${small[@]}" -T 6 -o "$tmp/t.log" -l "$tmp/t.lab" 2>/dev/null
tools=$(grep -o '^tunnel:[a-z0-9]*' "$tmp/t.lab" | sort -u | tr '\n' ' ')
check "six built-in tools" "tunnel:cobalt tunnel:dns2tcp tunnel:dnscat2 tunnel:iodine tunnel:sliver tunnel:tuns " "$tools"
grep $'^tunnel:' "$tmp/t.lab" | cut -f2 | awk -F. '{ print $(NF-1) "." $NF }' | sort -u >"$tmp/parents"
check "six tunnel parents" 6 "$(wc -l <"$tmp/parents")"
multi=$(awk 'NR == FNR { p[$1] = 1; next }
             { nl = split($3, l, "."); k = l[nl-1] "." l[nl] }
             (k in p) && !((k, $2) in seen) { seen[k, $2]; n[k]++ }
             END { for (k in n) if (n[k] != 1) m++; print m + 0 }' "$tmp/parents" "$tmp/t.log")
check "each session from one host" 0 "$multi"

# Forwarder mode: one client address for everything.
"$sim" "${small[@]}" -s 7 -f -o "$tmp/f.log" 2>/dev/null
check "forwarder mode: one client" 1 "$(cut -d' ' -f2 "$tmp/f.log" | sort -u | wc -l)"
check "forwarder mode: same names" same \
    "$(cut -d' ' -f1,3,4 "$tmp/f.log" | cmp -s - <(cut -d' ' -f1,3,4 "$tmp/a.log") && echo same)"

# Capture files: names spread over the whole file (captures are sorted and
# deduplicated: tuns.txt has its polls after its data), each at most once,
# under a fresh parent, inner labels kept.
mkdir "$tmp/caps" "$tmp/benign"
for i in $(seq 1000 1600); do echo "d$i.${i}abc.x.t.captured-parent.org"; done >"$tmp/caps/mytool.txt"
echo "stray.other.net" >>"$tmp/caps/mytool.txt"
for i in $(seq 1 50); do echo "host$i.long-tail-test.example"; done >"$tmp/benign/resolver.txt"
"$sim" "${small[@]}" -T 1 -t "$tmp/caps" -b "$tmp/benign" -o "$tmp/d.log" -l "$tmp/d.lab" 2>/dev/null
check "a capture is a tool" yes "$(grep -q '^tunnel:mytool'$'\t' "$tmp/d.lab" && echo yes)"
check "the capture's parent is gone" 0 "$(grep -c 'captured-parent\|stray' "$tmp/d.log")"
kept=$(grep '^tunnel:mytool' "$tmp/d.lab" | cut -f2 | grep -cv '^d[0-9]*\.[0-9]*abc\.x\.t\.[a-z]*[0-9]*\.[a-z]*$')
check "inner labels kept, one fresh parent" 0 "$kept"
names=$(grep ' d[0-9]*\.[0-9]*abc' "$tmp/d.log" | cut -d' ' -f3 | cut -c2-5)
check "every captured name at most once" 0 "$(echo "$names" | sort | uniq -d | wc -l)"
check "spread over the file: from its first and its last tenth" "yes yes" \
    "$(echo "$names" | awk '$1 < 1060 { a = 1 } $1 > 1540 { b = 1 } END { print (a ? "yes" : "no"), (b ? "yes" : "no") }')"
check "-b names in the long tail" yes \
    "$(grep -q $'^benign:longtail\thost[0-9]*.long-tail-test.example' "$tmp/d.lab" && echo yes)"

# Bad usage exits 2.
for args in "-x" "-H 0" "-H abc" "-d 0" "-T -1" "-s x" "extra"; do
    # shellcheck disable=SC2086 # the words are the options
    "$sim" $args >/dev/null 2>&1
    check "bad usage '$args' exits 2" 2 "$?"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
