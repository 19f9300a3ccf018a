#!/usr/bin/env bash
# tests/eval.sh - detection rates of the engine on a data directory.
#
#   tests/eval.sh [-c CONFIG] [-m MODEL] [DIR]     (DIR defaults to ../shared/data)
#
# DIR holds benign/*.txt and tunnel/*.txt, one query name per line. For every
# file it prints the names, how many the engine flags (verdict false) and the
# rate. For tunnel files it also prints the names that carry data (a label of
# 16 or more characters) and the share of those flagged. Uses dnsoracle_score
# from $BUILD (default ./build). The last column says whether the file meets
# the targets (benign: at most 0.5% flagged; tunnel: at least 95% of the
# data-carrying names flagged); the exit status is 1 when one does not.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
score=${BUILD:-$here/build}/client/dnsoracle_score
args=()
while getopts "c:m:" opt; do
    case $opt in
    c | m) args+=("-$opt" "$OPTARG") ;;
    *) echo "usage: tests/eval.sh [-c CONFIG] [-m MODEL] [DIR]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
dir=${1:-$here/../shared/data}
[ -x "$score" ] || { echo "eval.sh: $score not built (cmake -B build && cmake --build build)" >&2; exit 2; }
[ -d "$dir/benign" ] || [ -d "$dir/tunnel" ] || { echo "eval.sh: no benign/ or tunnel/ in $dir" >&2; exit 2; }

printf '%-24s %8s %8s %8s   %10s %10s %8s  %s\n' file names flagged rate data-names flagged rate target
status=0
for f in "$dir"/benign/*.txt "$dir"/tunnel/*.txt; do
    [ -f "$f" ] || continue
    kind=$(basename "$(dirname "$f")")
    "$score" -q "${args[@]}" "$f" | awk -F'\t' -v name="$kind/$(basename "$f")" -v kind="$kind" '
        { n++; bad = ($1 == "false"); flagged += bad
          # The name field is escaped (\DDD); a data label is 16+ characters
          # of the name as captured, so unescape before measuring.
          nm = $2; gsub(/\\[0-9][0-9][0-9]/, "x", nm)
          k = split(nm, lab, "."); data = 0
          for (i = 1; i <= k; i++) if (length(lab[i]) >= 16) data = 1
          if (data) { dn++; dflag += bad } }
        END { rate = n ? 100 * flagged / n : 0
              if (kind == "tunnel") {
                  drate = dn ? 100 * dflag / dn : 0; ok = drate >= 95
                  printf "%-24s %8d %8d %7.2f%%   %10d %10d %7.2f%%  %s\n", name, n, flagged, rate, dn, dflag, drate, ok ? "met" : "MISSED"
              } else {
                  ok = rate <= 0.5
                  printf "%-24s %8d %8d %7.2f%%   %10s %10s %8s  %s\n", name, n, flagged, rate, "", "", "", ok ? "met" : "MISSED"
              }
              exit !ok }' || status=1
done
exit $status
