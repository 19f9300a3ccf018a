#!/usr/bin/env bash
# tests/tools.sh BUILD_DIR - the offline tools as a user runs them: output
# format, bad lines, options, exit statuses, config errors, training.
set -uo pipefail
build=$1
score=$build/client/dnsoracle_score
train=$build/client/dnsoracle_train
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

# Verdict lines: true|false TAB name TAB reason, in input order.
# A failed test with a true verdict is weak evidence (the name passes, its
# domain counts it); false is strong evidence.
out=$(printf 'www.example.com\nt88d8de31bbea.6b65722f.66e3fae3.example.net\naGVsbG8+d29y.example.net\n' | "$score" -q)
check "three verdicts" $'true\twww.example.com\tok\ntrue\tt88d8de31bbea.6b65722f.66e3fae3.example.net\tcharset:hex\nfalse\taGVsbG8+d29y.example.net\tcharset:non-ldh' "$out"
check "exit status 0" 0 "$?"
out=$(echo t88d8de31bbea.6b65722f.66e3fae3.example.net | "$score" -q -x | cut -f4 | grep -o 'evidence=[a-z]*')
check "-x says how strong the evidence is" "evidence=weak" "$out"

# Bad lines are reported and the run goes on.
printf 'good.example.com\n\nbad..name\n%s.example.com\nbin\001ary.example.com\nlast.example.com\n' \
    "$(head -c 70 /dev/zero | tr '\0' a)" >"$tmp/bad.txt"
out=$("$score" -q "$tmp/bad.txt" | cut -f1,3 | tr '\t\n' ' |')
check "bad lines" "true ok|false invalid|false invalid|false invalid|false charset:non-ldh|true ok|" "$out"
out=$("$score" -q "$tmp/bad.txt" | sed -n 5p | cut -f2)
check "binary bytes are escaped in the output" 'bin\001ary.example.com' "$out"
printf 'nul\000byte.example.com\n' | "$score" -q >"$tmp/nul.out"
check "a NUL byte is invalid" $'false\tnul\\000byte.example.com\tinvalid' "$(cat "$tmp/nul.out")"

# Summary on stderr, -x adds the scores.
err=$("$score" "$tmp/bad.txt" 2>&1 >/dev/null)
check "summary" "dnsoracle_score: 6 names, 4 false (3 invalid)" "$err"
out=$(echo www.example.com | "$score" -q -x | cut -f4 | cut -d' ' -f1,2)
check "-x explains" "verdict=true reason=ok" "$out"

# Files and stdin, missing files: exit 2 after the others are done.
out=$("$score" -q "$tmp/nope.txt" "$tmp/bad.txt" 2>"$tmp/err" | wc -l)
rc=${PIPESTATUS[0]}
check "missing file: other files still scored" 6 "$out"
grep -q "nope.txt: No such file" "$tmp/err"
check "missing file is named" 0 "$?"
"$score" -q "$tmp/nope.txt" >/dev/null 2>&1
check "missing file: exit 2" 2 "$?"
"$score" -Z >/dev/null 2>&1
check "bad option: exit 2" 2 "$?"

# Configuration: empty file = defaults; errors name file and line.
: >"$tmp/empty.conf"
a=$("$score" -q "$tmp/bad.txt")
b=$("$score" -q -c "$tmp/empty.conf" "$tmp/bad.txt")
check "empty config = built-in defaults" "$a" "$b"
example=$(dirname "$0")/../oracle/dnsoracle.conf.example
c=$("$score" -q -x -c "$example" "$tmp/bad.txt")
d=$("$score" -q -x "$tmp/bad.txt")
check "the shipped example config states the defaults" "$d" "$c"
a=$("$build/oracle/dnsoracled" --dump-config -c "$example")
b=$("$build/oracle/dnsoracled" --dump-config -c /dev/null)
check "the example config sets every default, and nothing else" "$b" "$a"
check "the example documents every key" "$(echo "$a" | grep -c ' = ')" "$(grep -c '^[a-z_]* =' "$example")"
printf '[engine]\nmax_hex = 15\nbogus = 1\n' >"$tmp/bad.conf"
err=$("$score" -c "$tmp/bad.conf" </dev/null 2>&1)
check "unknown key refused with file:line" 2 "$?"
check "unknown key message" "dnsoracle_score: $tmp/bad.conf:3: bogus: unknown key in [engine]" "$err"
printf '[engine]\nmax_hex = 1000\n' >"$tmp/range.conf"
"$score" -c "$tmp/range.conf" </dev/null >/dev/null 2>&1
check "out-of-range value refused" 2 "$?"
printf '[engine]\nallow = example.net\n' >"$tmp/allow.conf"
out=$(echo t88d8de31bbea.6b65722f.66e3fae3.example.net | "$score" -q -c "$tmp/allow.conf" | cut -f1,3)
check "allow adds a suffix" $'true\tallowlist' "$out"
h64=0a1b2c3d4e5f60718293a4b5c6d7e8f9.0a1b2c3d4e5f60718293a4b5c6d7e8f9
out=$(printf '%s\n' $h64.sophosxl.net $h64.evilsophosxl.net | "$score" -q | cut -f1,3 | tr '\n' ' ')
check "the default allow list: AV hash look-ups, on label boundaries" \
    $'true\tallowlist false\tcharset:hex ' "$out"

# Training: a model from names, used with -m; corrupt models refused.
printf 'www.example.com\nmail.example.org\nnews.example.net\n\n..\n' >"$tmp/train.txt"
"$train" -o "$tmp/m.model" "$tmp/train.txt" 2>"$tmp/train.err"
check "train exit 0" 0 "$?"
grep -q "3 names, 2 lines skipped" "$tmp/train.err"
check "train reports names and skipped lines" 0 "$?"
head -n 1 "$tmp/m.model" >/dev/null
check "model magic" "dnsoracle-bigram 1" "$(head -n 1 "$tmp/m.model")"
echo www.example.com | "$score" -q -m "$tmp/m.model" >/dev/null
check "score with -m" 0 "$?"
head -c 300 "$tmp/m.model" >"$tmp/cut.model"
err=$(echo x.example.com | "$score" -m "$tmp/cut.model" 2>&1)
check "truncated model: exit 2" 2 "$?"
case $err in *"cut.model"*truncated*) ok=yes ;; *) ok=no ;; esac
check "truncated model: clear message ($err)" yes "$ok"
sed 's/^row 5 \([0-9]*\)/row 5 9\1/' "$tmp/m.model" >"$tmp/bad.model"
err=$(echo x.example.com | "$score" -m "$tmp/bad.model" 2>&1)
case $err in *"checksum mismatch"*) ok=yes ;; *) ok=no ;; esac
check "changed count: checksum mismatch ($err)" yes "$ok"
"$train" -o "$tmp/none.model" /dev/null 2>/dev/null
check "no names: exit 2" 2 "$?"
[ ! -e "$tmp/none.model" ]
check "no names: no model written" 0 "$?"

# The README's configuration reference names every key.
readme=$(cat "$(dirname "$0")/../README.md")
missing=""
for k in $("$build/oracle/dnsoracled" -c /dev/null --dump-config | sed -n 's/^\([a-z_]*\) = .*/\1/p' | sort -u); do
    [[ $readme == *"\`$k\`"* ]] || missing="$missing $k"
done
check "the README's configuration reference names every key" "" "$missing"

# The man pages document every option the programs take.
man=$(dirname "$0")/../docs/man
for pair in "client/dnsoracle_client --help:dnsoracle_client.1" "oracle/dnsoracled --help:dnsoracled.8"; do
    cmd=${pair%%:*} page=$man/${pair#*:}
    missing=""
    text=$(sed 's/\\-/-/g' "$page")
    # shellcheck disable=SC2086
    for o in $("$build"/$cmd 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        [[ $text == *"$o"* ]] || missing="$missing $o"
    done
    check "${pair#*:} documents every option" "" "$missing"
done

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
