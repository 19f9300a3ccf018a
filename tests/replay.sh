#!/usr/bin/env bash
# tests/replay.sh BUILD_DIR - dnsoracle_replay as a user runs it, on generated
# inputs only: a tunnel cut off among plain names, a pcap written here (perl),
# bad lines, options and exit statuses, stdin, --labels.
set -uo pipefail
build=$1
replay=$build/client/dnsoracle_replay
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 passed=0
check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then
        passed=$((passed + 1))
    else
        failures=$((failures + 1))
        printf 'FAIL: %s\n  expected: %q\n  actual:   %q\n' "$1" "$2" "$3"
    fi
}
total() { # total FILE LABEL: the first number of a totals line
    sed -n "s/^  $2  *\([0-9][0-9]*\).*/\1/p" "$1"
}
row() { # row FILE DOMAIN: the domain table's row
    awk -v d="$2" '$1 == d { print; exit }' "$1"
}

# 1. One client sends 60 names carrying data under a fresh domain, then 30
# short polls; five clients ask 500 plain host names meanwhile.
perl -MDigest::MD5=md5_hex -e '
    my $t = 1700000000; my $h = 0;
    sub plain { for (1 .. 5) { $h++; printf "%.3f 10.0.0.%d host%d.corp-example.com A\n", $t, $h % 5 + 1, $h; $t += 0.25 } }
    for my $i (1 .. 60) {
        my $data = substr(md5_hex("a$i") . md5_hex("b$i"), 0, 52);
        printf "%.3f 192.0.2.66 %s.%d.tun-x.net TXT\n", $t, $data, $i; $t += 0.1; plain() if $i % 2;
    }
    for my $i (1 .. 30) { printf "%.3f 192.0.2.66 p%d.tun-x.net TXT\n", $t, $i + 100; $t += 0.5; plain() }
    plain() while $h < 500;' >"$tmp/log.txt"
"$replay" -e "$tmp/log.txt" >"$tmp/log.out" 2>"$tmp/log.err"
check "log: exit 0" 0 "$?"
check "log: every query replayed" 590 "$(total "$tmp/log.out" queries)"
cut=$(row "$tmp/log.out" tun-x.net | awk '{ print $NF }')
case $cut in \#[1-9] | \#[1-5][0-9] | \#60) ok=yes ;; *) ok="no ($cut)" ;; esac
check "log: the tunnel domain is cut off within its 60 data names" yes "$ok"
check "log: one domain cut off" 1 "$(total "$tmp/log.out" "domains cut off")"
check "log: all 30 polls after the cut refused by the cut" 30 \
    "$(grep -c $'^false\tp1[0-9][0-9]\\.tun-x\\.net\tdroplist\tTXT\t192\\.0\\.2\\.66\t' "$tmp/log.out")"
check "log: every data name refused" 60 "$(grep -c $'^false\t[0-9a-f]\\{52\\}\\.' "$tmp/log.out")"
check "log: no plain name refused" 0 "$(grep -c $'^false\thost' "$tmp/log.out")"
check "log: 500 plain names replayed" 500 "$(grep -c $'^true\thost[0-9]*\\.corp-example\\.com\tok\tA\t10\\.0\\.0\\.' "$tmp/log.out")"
check "log: the plain domain has no refusal" "corp-example.com 500 500 0 - - - -" \
    "$("$replay" --top 5 "$tmp/log.txt" | row /dev/stdin corp-example.com | tr -s ' ')"
check "log: tun-x.net first, with its first refusal" "tun-x.net 90 90 90 #1 0.0s" \
    "$("$replay" "$tmp/log.txt" | sed -n 2p | tr -s ' ' | cut -d' ' -f1-6)"
check "log: the refused share" "  refused queries            90 (15.254%)" \
    "$("$replay" -q "$tmp/log.txt" | grep 'refused queries')"
out=$("$replay" -q "$tmp/log.txt")
case $out in *domain*queries*names*refused*) ok=no ;; totals*) ok=yes ;; *) ok=no ;; esac
check "-q: the totals only" yes "$ok"
out=$("$replay" --top 0 "$tmp/log.txt" | grep -c corp-example)
check "--top 0: no domain without refusals" 0 "$out"

# Times: a line without one, or with an earlier one, happens at the last time.
printf '5 a.example.com\nb.example.com\n3 c.example.com\n7.5\td.example.com\n' | "$replay" -e - >"$tmp/time.out"
check "the replay clock never goes back" "5.000000 5.000000 5.000000 7.500000" \
    "$(grep -E '^(true|false)' "$tmp/time.out" | cut -f6 | tr '\n' ' ' | sed 's/ $//')"
printf '10.1.2.3 x.example.com\n2001:DB8::1 y.example.com aaaa\nns\nz.example.com type99\n' |
    "$replay" -e - | grep -E '^(true|false)' | cut -f2,4,5 >"$tmp/fields.out"
check "fields are told apart by what they are" \
    $'x.example.com\t-\t10.1.2.3\ny.example.com\tAAAA\t2001:db8::1\nns\t-\t-\nz.example.com\tTYPE99\t-' \
    "$(cat "$tmp/fields.out")"

# 2. A pcap written here: queries over UDP/IPv4, UDP/IPv6 (with a dot and a
# control byte inside labels), TCP; a response (skipped), a truncated
# packet, an NTP packet and a question with a compression pointer (bad).
perl -e '
    sub name { join("", map { chr(length $_) . $_ } @_) . "\0" }
    sub dns { my ($flags, $q, $type) = @_; pack("n6", 0x1234, $flags, 1, 0, 0, 0) . $q . pack("nn", $type, 1) }
    sub eth { "\x02\0\0\0\0\x01\x02\0\0\0\0\x02" . pack("n", $_[0]) . $_[1] }
    sub ip4 { my ($s, $d, $proto, $l4) = @_;
        eth(0x0800, pack("CCnnnCCn", 0x45, 0, 20 + length $l4, 1, 0, 64, $proto, 0)
            . pack("C4", split /\./, $s) . pack("C4", split /\./, $d) . $l4) }
    sub udp { my ($sp, $dp, $p) = @_; pack("nnnn", $sp, $dp, 8 + length $p, 0) . $p }
    sub tcp { my ($sp, $dp, $p) = @_; pack("nnNNCCnnn", $sp, $dp, 1, 1, 0x50, 0x18, 65535, 0, 0) . pack("n", length $p) . $p }
    sub ip6 { my ($l4) = @_; eth(0x86dd, pack("NnCC", 0x60000000, length $l4, 17, 64)
        . pack("n8", 0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10) . pack("n8", 0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x53) . $l4) }
    my @p = (
        ip4("192.0.2.10", "192.0.2.53", 17, udp(40000, 53, dns(0x0100, name("www", "example", "com"), 1))),
        ip6(udp(40001, 53, dns(0x0100, name("a.b", "x\x01y", "example", "org"), 16))),
        ip4("192.0.2.11", "192.0.2.53", 6, tcp(40002, 53, dns(0x0100, name("mail", "example", "net"), 15))),
        ip4("192.0.2.53", "192.0.2.10", 17, udp(53, 40000, dns(0x8180, name("www", "example", "com"), 1))),
        ip4("192.0.2.12", "192.0.2.53", 17, udp(40003, 53, dns(0x0100, name("cut", "example", "com"), 1))),
        ip4("192.0.2.13", "192.0.2.123", 17, udp(40004, 123, "\x23" . ("\0" x 47))),
        ip4("192.0.2.14", "192.0.2.53", 17, udp(40005, 53, dns(0x0100, "\x03www\xc0\x0c", 1))),
        ip4("192.0.2.15", "192.0.2.53", 17, udp(40006, 53, dns(0x0100, name("odd", "example", "com"), 999))),
    );
    print pack("VvvVVVV", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1);
    my $t = 1700000100;
    for my $i (0 .. $#p) {
        my $d = $p[$i]; my $cap = $i == 4 ? length($d) - 10 : length $d;
        print pack("VVVV", $t + $i, 500000, $cap, length $d), substr($d, 0, $cap);
    }' >"$tmp/cap.pcap"
"$replay" -e "$tmp/cap.pcap" >"$tmp/cap.out" 2>"$tmp/cap.err"
check "pcap: exit 0" 0 "$?"
check "pcap: names, types, clients and times" \
    "$(printf '%s\n' $'www.example.com\tA\t192.0.2.10\t1700000100.500000' \
        $'a\\.b.x\\001y.example.org\tTXT\t2001:db8::10\t1700000101.500000' \
        $'mail.example.net\tMX\t192.0.2.11\t1700000102.500000' \
        $'odd.example.com\tTYPE999\t192.0.2.15\t1700000107.500000')" \
    "$(grep -E '^(true|false)' "$tmp/cap.out" | cut -f2,4-6)"
check "pcap: the bad packets" "  bad packets                 3 of 8 packets (1 responses and others skipped)" \
    "$(grep 'bad packets' "$tmp/cap.out")"
check "pcap: bad packets are named on stderr" 3 "$(grep -c 'cap.pcap: packet [567]: ' "$tmp/cap.err")"
grep -q 'packet 7: compression pointer' "$tmp/cap.err"
check "pcap: a compression pointer is refused" 0 "$?"
# The same packets as pcapng: section header, interface, enhanced packet blocks.
perl -e '
    local $/; my $in = <STDIN>; my ($magic, $maj, $min, $z, $sig, $snap, $link) = unpack("VvvVVVV", $in);
    print pack("VVVvvVVV", 0x0a0d0d0a, 28, 0x1a2b3c4d, 1, 0, 0xffffffff, 0xffffffff, 28);
    print pack("VVvvVV", 1, 20, $link, 0, $snap, 20);
    for (my $at = 24; $at < length $in;) {
        my ($sec, $usec, $cap, $len) = unpack("VVVV", substr($in, $at, 16));
        my $data = substr($in, $at + 16, $cap); $at += 16 + $cap;
        my $pad = (4 - $cap % 4) % 4; my $blen = 32 + $cap + $pad; my $ts = $sec * 1000000 + $usec;
        print pack("VVVVVVV", 6, $blen, 0, int($ts / 4294967296), $ts % 4294967296, $cap, $len),
            $data, "\0" x $pad, pack("V", $blen);
    }' <"$tmp/cap.pcap" >"$tmp/cap.pcapng"
"$replay" -e "$tmp/cap.pcapng" 2>/dev/null | grep -E '^(true|false)|bad packets' >"$tmp/ng.out"
check "pcapng: the same queries and bad packets as the pcap" \
    "$(grep -E '^(true|false)|bad packets' "$tmp/cap.out")" "$(cat "$tmp/ng.out")"
out=$(cat "$tmp/cap.pcap" | "$replay" -q - 2>/dev/null | grep -E '^  (queries|bad packets) ' | tr -s ' ')
check "pcap on stdin" "queries 4 bad packets 3 of 8 packets (1 responses and others skipped)" \
    "$(echo $out)"
head -c 100 "$tmp/cap.pcap" >"$tmp/short.pcap"
"$replay" -q "$tmp/short.pcap" >"$tmp/short.out" 2>&1
check "pcap cut short: exit 0" 0 "$?"
check "pcap cut short: the cut record is a bad packet" 1 "$(total "$tmp/short.out" "bad packets")"

# 3. Bad lines are counted, never fatal; files and exit statuses.
printf '# a comment\n\nok1.example.com\none two three four five\nfoo bar\n1 10.0.0.1 ok2.example.com A\n' >"$tmp/bad.txt"
"$replay" -q "$tmp/bad.txt" >"$tmp/bad.out" 2>"$tmp/bad.err"
check "bad lines: exit 0" 0 "$?"
check "bad lines: counted" 2 "$(total "$tmp/bad.out" "bad lines")"
check "bad lines: the good ones replayed" 2 "$(total "$tmp/bad.out" queries)"
check "bad lines: named with file:line" "$tmp/bad.txt:4 $tmp/bad.txt:5" \
    "$(grep -o "$tmp/bad.txt:[0-9]*" "$tmp/bad.err" | tr '\n' ' ' | sed 's/ $//')"
"$replay" -q "$tmp/nope.txt" "$tmp/bad.txt" >"$tmp/missing.out" 2>"$tmp/missing.err"
check "missing file: exit 2" 2 "$?"
check "missing file: the other files still replayed" 2 "$(total "$tmp/missing.out" queries)"
grep -q "nope.txt: No such file" "$tmp/missing.err"
check "missing file is named" 0 "$?"
"$replay" -Z "$tmp/bad.txt" >/dev/null 2>&1
check "bad option: exit 2" 2 "$?"
"$replay" --top many "$tmp/bad.txt" >/dev/null 2>&1
check "bad --top: exit 2" 2 "$?"
"$replay" --help | grep -q -- '--labels FILE'
check "--help: usage on stdout, exit 0" 0 "$?"
printf '[engine]\nbogus = 1\n' >"$tmp/bad.conf"
"$replay" -c "$tmp/bad.conf" "$tmp/bad.txt" >/dev/null 2>&1
check "bad config: exit 2" 2 "$?"
out=$(printf 'a.example.com\nb.example.com\n' | "$replay" -q - | grep 'distinct names')
check "- reads stdin" "  distinct names              2" "$out"
out=$(printf 'A.Example.COM.\na.example.com\n' | "$replay" -q | grep -E '^  (queries|distinct names) ' | tr -s ' ')
check "no FILE reads stdin; names are the same whatever the case" "queries 2 distinct names 1" \
    "$(echo $out)"

# Progress with -v: every 100000 queries.
yes www.example.com | head -n 200000 | "$replay" -q -v - 2>&1 >/dev/null | tr '\n' '|' >"$tmp/progress"
check "-v: progress every 100000 queries" \
    "dnsoracle_replay: 100000 queries, 0 refused|dnsoracle_replay: 200000 queries, 0 refused|" \
    "$(cat "$tmp/progress")"
yes www.example.com | head -n 100000 | "$replay" -q - 2>"$tmp/quiet.err" >/dev/null
check "no progress when stderr is no terminal" "" "$(cat "$tmp/quiet.err")"

# 4. --labels: per label, and per tunnel domain against the targets.
{
    grep -o 'host[0-9]*\.corp-example\.com' "$tmp/log.txt" | sed 's/^/benign\t/' | sed '1s/host/HOST/;1s/$/./'
    grep -o '[^ ]*\.tun-x\.net' "$tmp/log.txt" | sed 's/^/tunnel:test\t/'
    echo 'no tab on this line'
} >"$tmp/labels.txt"
printf 'stray.example.com\n' >"$tmp/stray.txt"
"$replay" -q --labels "$tmp/labels.txt" "$tmp/log.txt" "$tmp/stray.txt" >"$tmp/labels.out" 2>"$tmp/labels.err"
check "labels: exit 0" 0 "$?"
check "labels: benign" "benign 500 500 0 0.000% 0 0.000% <= 0.1% refused: ok" \
    "$(grep '^benign ' "$tmp/labels.out" | tr -s ' ')"
check "labels: the tunnel" "tunnel:test 90 90 90 100.000% 90 100.000%" \
    "$(grep '^tunnel:test ' "$tmp/labels.out" | tr -s ' ' | sed 's/ $//')"
check "labels: names not in the file" "unlabelled 1 1 0 0.000% 0 0.000%" \
    "$(grep '^unlabelled ' "$tmp/labels.out" | tr -s ' ' | sed 's/ $//')"
line=$(grep '^tun-x.net ' "$tmp/labels.out" | tr -s ' ')
case $line in "tun-x.net tunnel:test 90 #"[0-9]*" ok 60/60 100.00% ok 30/30 100.00% ok") ok=yes ;; *) ok="no: $line" ;; esac
check "labels: the tunnel domain against the targets" yes "$ok"
grep -q 'lines without LABEL<TAB>NAME skipped' "$tmp/labels.err"
check "labels: a line without a tab is skipped and said" 0 "$?"
for i in $(seq 1 60); do echo "poll$i.quiet-x.net"; done >"$tmp/quiet.txt"
sed 's/^/tunnel:quiet\t/' "$tmp/quiet.txt" >"$tmp/quiet.labels"
check "labels: a tunnel never cut in 60 queries misses the target" "quiet-x.net tunnel:quiet 60 never MISS - -" \
    "$("$replay" -q --labels "$tmp/quiet.labels" "$tmp/quiet.txt" | grep '^quiet-x.net ' | tr -s ' ' | sed 's/ $//')"
head -n 20 "$tmp/quiet.txt" >"$tmp/quiet20.txt"
check "labels: one of 20 queries is no miss yet" "quiet-x.net tunnel:quiet 20 never - -" \
    "$("$replay" -q --labels "$tmp/quiet.labels" "$tmp/quiet20.txt" | grep '^quiet-x.net ' | tr -s ' ' | sed 's/ $//')"
"$replay" -q --labels "$tmp/nope.txt" "$tmp/log.txt" >/dev/null 2>&1
check "labels file missing: exit 2" 2 "$?"

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
