#!/usr/bin/env bash
# tests/integration/test_feeds.sh BUILD_DIR - threat feeds: dnsoracle_client
# --import with a private MariaDB: every feed format (a domain a line, hosts
# lines, an RPZ zone with $ORIGIN and a wildcard, comments, bad lines
# reported with their line), the imported domains refused at once, --replace
# (what left the feed is deleted, another reason's entries stay), --expires,
# --list --count, --reason and the 10,000-line guard, and a generated feed
# of a million domains imported in under a minute.
set -uo pipefail
build=$1
probe=$build/tests/integration/dnsoracle_probe
client=$build/client/dnsoracle_client
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/mariadb.sh"
db_require

port=$(free_port)
endpoint=tcp://127.0.0.1:$port
control=ipc://$tmp/control.sock
conf=$tmp/dnsoracle.conf
{
    printf '[server]\nendpoints = %s\ncontrol_endpoint = %s\nthreads = 2\n' "$endpoint" "$control"
    db_config
    printf '[metrics]\nlisten =\n'
} >"$conf"
start_daemon "$conf" || exit 1
export DNSORACLE_ENDPOINT=$endpoint DNSORACLE_CONTROL=$control

# A small feed in every format; the line numbers matter.
feed=$tmp/feed.txt
cat >"$feed" <<'EOF'
# a feed in every format
plain.example
Upper.Example.  # a trailing comment

0.0.0.0 hosts.example
127.0.0.1 localhost
::1 six.example
$ORIGIN rpz.zone.
$TTL 300
@ IN SOA ns.rpz.zone. admin.rpz.zone. 1 3600 600 86400 300
@ IN NS ns.rpz.zone.
rpz.example CNAME .
*.wild.example CNAME .
abs.example.rpz.zone. CNAME .
bad!name.example
com
two words here
co.uk
kept.example
not a domain!!
EOF
check "a block by hand before the feed" "block kept.example" \
    "$("$client" --block kept.example --reason analyst)"
"$client" --block manual.example --reason "C2 seen" >/dev/null
out=$("$client" --import block "$feed" 2>"$tmp/err")
check "import: exit 0" 0 "$?"
case $out in
"import block 'import feed.txt': 7 added, 0 renewed, 1 kept (listed with another reason), 0 deleted; lists republished in "*) ok=yes ;;
*) ok="no: $out" ;;
esac
check "import: the counts" yes "$ok"
for n in 15 16 17 18 20; do
    check "bad line $n reported with FILE:LINE" 1 "$(grep -c "^$feed:$n: " "$tmp/err")"
done
check "... the public suffixes as such" 2 "$(grep -c "^$feed:1[68]: a public suffix" "$tmp/err")"
check "... words that are no format as such (not their first word as a domain)" \
    "$feed:20: not a domain, hosts-file or RPZ line: "'not\032a\032domain!!' "$(grep "^$feed:20: " "$tmp/err")"
check "... and no other line" 0 "$(grep "^$feed:" "$tmp/err" | grep -vc "^$feed:\(1[5-8]\|20\): ")"
check "... the count of bad lines" 1 "$(grep -c ": 5 bad lines skipped$" "$tmp/err")"
check "... the domains sent: the oracle's refusals not among them" 1 \
    "$(grep -c ": 8 domains sent in " "$tmp/err")"
for name in www.plain.example upper.example a.hosts.example six.example www.rpz.example \
    x.y.wild.example wild.example abs.example; do
    check "imported: $name refused at once" "false $name" "$("$client" "$name")"
done
check "localhost and the zone itself are not imported" "true www.rpz.zone" \
    "$("$client" www.rpz.zone)"
check "--count block" 9 "$("$client" --count block)"
check "--list block --reason" "abs.example hosts.example plain.example rpz.example six.example upper.example wild.example " \
    "$("$client" --list block --reason 'import feed.txt' | cut -d' ' -f2 | tr '\n' ' ')"
check "an entry with another reason is kept as it was" "block kept.example analyst" \
    "$("$client" --list block --reason analyst | cut -d' ' -f1,2,6)"

# --replace: the file becomes the whole list of its kind and reason.
printf 'plain.example\nhosts.example\nnew.example\nkept.example\n' >"$tmp/feed2.txt"
cp "$tmp/feed2.txt" "$tmp/feed.txt"
out=$("$client" --import block "$feed" --replace 2>/dev/null)
check "--replace: the counts" "import block 'import feed.txt': 1 added, 2 renewed, 1 kept (listed with another reason), 5 deleted" \
    "${out%%;*}"
check "--replace: gone from the feed, good again" "true www.rpz.example" "$("$client" www.rpz.example)"
check "--replace: new in the feed, refused" "false www.new.example" "$("$client" www.new.example)"
check "--replace: another reason's entries stay" "false www.manual.example" \
    "$("$client" www.manual.example)"
check "--replace: the kept entry stays" "false kept.example" "$("$client" kept.example)"
check "--count block after --replace" 5 "$("$client" --count block)"
: >"$tmp/empty.txt"
"$client" --import block "$tmp/empty.txt" --reason 'import feed.txt' --replace 2>"$tmp/err"
check "--replace with an empty file: refused" "1 yes" \
    "$? $(grep -q 'would empty the list; nothing changed' "$tmp/err" && echo yes)"
check "... nothing deleted" 5 "$("$client" --count block)"

# --expires, an allow feed from stdin, the counts of every kind.
out=$(printf 'cdn.example\n' | "$client" --import allow - --expires 2h --reason "cdn feed" 2>/dev/null)
check "--import allow from stdin" "import allow 'cdn feed': 1 added" "${out%%, *}"
exp=$("$client" --list allow | cut -d' ' -f5)
check "--expires: the expiry is listed ($exp)" yes \
    "$(case $exp in 20*Z) echo yes ;; esac)"
check "--expires 2h: in two hours" yes "$(db_sql dns -e "SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), expires_at) BETWEEN 118 AND 120 FROM lists WHERE domain = 'cdn.example'" | grep -qx 1 && echo yes)"
check "--count: every kind" "drop 0 block 5 allow 1 " "$("$client" --count | tr '\n' ' ')"
for args in "--import bogus $feed" "--import block" "--import block $feed extra" \
    "--import block $feed --expires 3x" "--expires 1d --list" "--all --block x.example"; do
    # shellcheck disable=SC2086
    err=$("$client" $args 2>&1 >/dev/null)
    check "usage error ($args): exit 2 and a message" "2 yes" "$? $([ -n "$err" ] && echo yes)"
done
"$client" --import block "$tmp/none.txt" 2>"$tmp/err"
check "a missing file: exit 2 and why" "2 yes" \
    "$? $(grep -q 'none.txt: No such file' "$tmp/err" && echo yes)"

# A million domains: under a minute (times $slow), counted, refused.
big=$tmp/big.txt
awk 'BEGIN { for (i = 1; i <= 1000000; i++) printf "d%d.feed%d.example\n", i, i % 1000 }' >"$big"
rss_before=$(ps -o rss= -p "$daemon_pid" | tr -d ' ')
s=$(date +%s%N)
out=$("$client" --import block "$big" --reason "big feed" 2>"$tmp/err")
rc=$?
ms=$((($(date +%s%N) - s) / 1000000))
rss_after=$(ps -o rss= -p "$daemon_pid" | tr -d ' ')
grep -v 'lines read\|domains sent' "$tmp/err"
echo "1M import: $ms ms ($(grep -o '[0-9]* domains sent in .* s' "$tmp/err"), then the commit); $out"
echo "daemon RSS: ${rss_before} KiB before, ${rss_after} KiB after"
check "1M import: exit 0" 0 "$rc"
check "1M import: within $((60 * slow)) s ($ms ms)" yes "$([ "$ms" -lt $((60000 * slow)) ] && echo yes)"
check "1M import: progress on stderr" yes "$(grep -q 'lines read, .* domains sent' "$tmp/err" && echo yes)"
check "1M import: the count" 1000000 "$("$client" --count block --reason "big feed")"
check "1M import: a name under one refused" "false www.d777777.feed777.example" \
    "$("$client" www.d777777.feed777.example)"
check "1M import: an earlier feed untouched" "false www.new.example" "$("$client" www.new.example)"
"$client" --list block >/dev/null 2>"$tmp/err"
check "--list of a million: refused without --all, with the count" "1 yes" \
    "$? $(grep -q '1000005 entries (block 1000005): more than 10000; give --all' "$tmp/err" && echo yes)"
s=$(date +%s%N)
n=$("$client" --list block --all | wc -l)
echo "--list block --all: $n lines in $((($(date +%s%N) - s) / 1000000)) ms"
check "--list --all prints every entry, page after page" 1000005 "$n"

# The daily refresh of a big feed: 999,000 of the million again, --replace.
head -n 999000 "$big" >"$tmp/big2.txt"
s=$(date +%s%N)
out=$("$client" --import block "$tmp/big2.txt" --reason "big feed" --replace 2>"$tmp/err")
ms=$((($(date +%s%N) - s) / 1000000))
echo "1M --replace: $ms ms; $out"
grep -v 'lines read\|domains sent' "$tmp/err"
check "1M --replace: the counts" "import block 'big feed': 0 added, 999000 renewed, 0 kept (listed with another reason), 1000 deleted" \
    "${out%%;*}"
check "1M --replace: within $((60 * slow)) s ($ms ms)" yes "$([ "$ms" -lt $((60000 * slow)) ] && echo yes)"
check "1M --replace: a name no longer in the feed is good" "true www.d999999.feed999.example" \
    "$("$client" www.d999999.feed999.example)"
echo "daemon RSS: $(ps -o rss= -p "$daemon_pid" | tr -d ' ') KiB"
stop_daemon
check "SIGTERM: exit 0" 0 "$stop_rc"
[ "$failures" -eq 0 ] || grep -i 'import\|refused\|unavailable' "$tmp/daemon.log" | tail -20
finish
