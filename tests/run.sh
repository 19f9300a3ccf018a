#!/usr/bin/env bash
# tests/run.sh - the whole test suite, as the README and CI run it.
#
#   tests/run.sh            (as root on a fresh Debian 12: installs what is missing)
#
# 1. installs the build and test packages that are missing (only as root;
#    otherwise it names them and stops);
# 2. builds everything in a fresh build directory with AddressSanitizer and
#    UndefinedBehaviorSanitizer;
# 3. runs every test with ctest;
# 4. runs the daemon's integration tests (daemon, client, storage) once more
#    with every dnsoracled under valgrind memcheck, in a build without
#    sanitizers: zero errors and zero leaks (tests/valgrind.sh, build-valgrind);
# 5. checks that every C file matches .clang-format, and runs cppcheck and
#    clang-tidy (the checks in .clang-tidy) clean;
# 6. runs every libFuzzer harness for 10 s (tests/fuzz.sh, with Clang);
# 7. under CI=true (or DNSORACLE_TEST_INSTALL=1) runs install.sh for real,
#    again, and --uninstall (tests/test_install.sh: it changes the machine);
# 8. prints the detection table of tests/eval.sh when ../shared/data exists.
#
# BUILD_DIR overrides the build directory (default: build-test, wiped first).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

packages=(cmake make gcc pkg-config clang-format clang-tidy cppcheck git libzmq3-dev libsystemd-dev curl
    libpsl-dev publicsuffix libinih-dev libbsd-dev libcmocka-dev libmariadb-dev libpcap-dev libmicrohttpd-dev
    mariadb-server libluajit-5.1-dev luajit pdns-recursor nsd dns2tcp iodine socat dnsutils dnsperf
    systemd clang libclang-rt-14-dev valgrind)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "tests/run.sh: missing packages: ${missing[*]}" >&2
        echo "install them (apt-get install ${missing[*]}) or run this script as root" >&2
        exit 2
    fi
    echo "== installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

build=${BUILD_DIR:-$top/build-test}
rm -rf "$build"
echo "== configuring $build (sanitizers on)"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DDNSORACLE_SANITIZE=ON \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
echo "== building"
cmake --build "$build" -j"$(nproc)"

echo "== running the tests"
(cd "$build" && ctest --output-on-failure -j"$(nproc)")

echo "== the daemon's integration tests under valgrind memcheck (tests/valgrind.sh)"
tests/valgrind.sh "$top/build-valgrind"

echo "== checking the format"
mapfile -t sources < <(git ls-files '*.c' '*.h')
if ! clang-format --dry-run --Werror "${sources[@]}"; then
    echo "tests/run.sh: run clang-format -i on the files above" >&2
    exit 1
fi

echo "== static analysis: cppcheck, clang-tidy (.clang-tidy)"
cppcheck --quiet --error-exitcode=1 --enable=warning,style,portability,performance --std=c11 \
    --inline-suppr -I oracle/engine -I oracle/common -I oracle/wire -I oracle/store \
    -I oracle/daemon -I client oracle client lua
clang-tidy -p "$build" --quiet oracle/*/*.c client/*.c lua/*.c 2>/dev/null

echo "== fuzzing: every harness for 10 s (tests/fuzz.sh; longer runs by hand)"
tests/fuzz.sh 10 "$top/build-fuzz"

# install.sh for real: only where the machine is disposable (CI) or when
# asked, since it installs under /usr/local, /etc and a database.
if [ "${CI:-}" = true ] || [ "${DNSORACLE_TEST_INSTALL:-}" = 1 ]; then
    echo "== install.sh for real (tests/test_install.sh)"
    tests/test_install.sh
fi

if [ -d "$top/../shared/data" ]; then
    echo "== detection rates on ../shared/data"
    BUILD=$build tests/eval.sh "$top/../shared/data"
fi
echo "== all tests passed"
