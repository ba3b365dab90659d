#!/usr/bin/env bash
# Builds the spec-loader fuzz target and runs libFuzzer on it for a bounded time.
#
#   Fuzz/run.sh [SECONDS] [-- LIBFUZZER_ARGS...]   build, then fuzz SECONDS (default 60)
#   Fuzz/run.sh --build-only                        build only (CI: the target still builds)
#   Fuzz/run.sh --replay FILE...                    build, then run the target once on each
#                                                   FILE (reproducers; GSCTL_FUZZ_PRINT=1
#                                                   prints each input's JSON report)
#
# Environment:
#   GSCTL_FUZZ_BUILD   build directory (default Fuzz/.build, gitignored)
#   GSCTL_FUZZ_CORPUS  working corpus directory to reuse between runs (default: a fresh
#                      temporary copy of Fuzz/Corpus/loader, deleted afterwards)
#   GSCTL_FUZZ_JOBS    parallel fuzzing processes (default 1)
#   SWIFT              the swift driver (default: `swift` on PATH, else /opt/swift/usr/bin/swift)
#
# The committed seeds in Fuzz/Corpus/loader are only read, never written. Inputs that
# crash, hang (-timeout) or blow memory (-rss_limit_mb) land in $GSCTL_FUZZ_BUILD/artifacts/
# and the script exits non-zero naming them.
set -euo pipefail

# Everything runs inside main so that bash has read the whole script before it starts (an
# edit to this file during a long run cannot change what the run does next).
main() {
    FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    BUILD_DIR="${GSCTL_FUZZ_BUILD:-$FUZZ_DIR/.build}"
    SEEDS="$FUZZ_DIR/Corpus/loader"
    DICT="$FUZZ_DIR/loader.dict"
    PRODUCT=SpecLoaderFuzzer

    mode=fuzz
    seconds=60
    extra=()
    replay=()
    while (($#)); do
        case "$1" in
            --build-only) mode=build ;;
            --replay) mode=replay; shift; replay=("$@"); break ;;
            --) shift; extra=("$@"); break ;;
            -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
            ''|*[!0-9]*) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
            *) seconds="$1" ;;
        esac
        shift
    done

    if [[ -z "${SWIFT:-}" ]]; then
        if command -v swift >/dev/null 2>&1; then SWIFT=swift; else SWIFT=/opt/swift/usr/bin/swift; fi
    fi

    # Release (-O) with libFuzzer's coverage instrumentation and AddressSanitizer on every
    # module (GSCore, GSSpec and the target). Not `swift build --sanitize=fuzzer
    # --sanitize=address`: SwiftPM hands those to swiftc as two -sanitize= options, and the
    # Swift 6.3 driver honours only one of them: GSSpec came out without coverage counters (libFuzzer
    # then says "no interesting inputs were found ... Is the code instrumented for coverage?").
    # The toolchain's lld links quietly; ld.gold prints thousands of "Cannot export local
    # symbol __asan_check_*" warnings but works too.
    build_flags=(-c release -Xswiftc -sanitize=fuzzer,address --product "$PRODUCT")
    if [[ -x "$(dirname "$(command -v "$SWIFT")")/ld.lld" ]]; then
        build_flags+=(-Xswiftc -use-ld=lld)
    fi

    echo "==> building $PRODUCT into $BUILD_DIR" >&2
    start=$SECONDS
    set +e
    "$SWIFT" build --package-path "$FUZZ_DIR" --build-path "$BUILD_DIR" "${build_flags[@]}" 2>&1 \
        | grep -v "Cannot export local symbol '__asan" >&2
    status=${PIPESTATUS[0]}
    set -e
    if ((status != 0)); then
        echo "run.sh: build failed (swift build exit $status)" >&2
        exit "$status"
    fi
    binary="$("$SWIFT" build --package-path "$FUZZ_DIR" --build-path "$BUILD_DIR" "${build_flags[@]}" --show-bin-path)/$PRODUCT"
    echo "==> built $binary in $((SECONDS - start))s" >&2

    # Swift code with LeakSanitizer: globals that Swift initialises once (swift_once) live as long
    # as the process, in ways LSan cannot always trace; Fuzz/lsan.supp says they are not leaks.
    export LSAN_OPTIONS="suppressions=$FUZZ_DIR/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

    # Crashes go to libFuzzer's handler (stack trace, crash-* file). Swift's own backtracer would
    # catch the signal first, and with AddressSanitizer it can stall for its 30 s timeout instead.
    export SWIFT_BACKTRACE=enable=no

    # A target without coverage counters still "fuzzes", blindly: refuse it (one empty input).
    probe="$("$binary" -runs=0 2>&1 || true)"
    if [[ "$probe" != *"inline 8-bit counters"* ]]; then
        echo "run.sh: $binary has no libFuzzer coverage instrumentation (check the -sanitize flags)" >&2
        exit 1
    fi
    [[ "$mode" == build ]] && exit 0

    limits=(-max_len=65536 -rss_limit_mb=2048 -timeout=10)

    if [[ "$mode" == replay ]]; then
        ((${#replay[@]})) || { echo "run.sh: --replay needs files" >&2; exit 2; }
        exec "$binary" "${limits[@]}" "${replay[@]}"
    fi

    artifacts="$BUILD_DIR/artifacts"
    mkdir -p "$artifacts"
    if [[ -n "${GSCTL_FUZZ_CORPUS:-}" ]]; then
        corpus="$GSCTL_FUZZ_CORPUS"
        mkdir -p "$corpus"
        cleanup=()
    else
        corpus="$(mktemp -d "${TMPDIR:-/tmp}/gsctl-fuzz-corpus.XXXXXX")"
        cleanup=("$corpus")
    fi
    trap 'rm -rf "${cleanup[@]}"' EXIT
    # Seeds are copied in (new ones added, grown ones kept), so libFuzzer writes only to the copy.
    cp -n "$SEEDS"/* "$corpus"/ 2>/dev/null || true

    before="$(ls -A "$artifacts")"
    jobs="${GSCTL_FUZZ_JOBS:-1}"
    parallel=()
    if ((jobs > 1)); then
        parallel=(-jobs="$jobs" -workers="$jobs")
    fi
    echo "==> fuzzing for ${seconds}s: corpus $corpus (seeds from $SEEDS), artifacts in $artifacts" >&2
    # libFuzzer writes fuzz-N.log files to the working directory when -jobs is given.
    logs="$BUILD_DIR/logs"
    mkdir -p "$logs"
    set +e
    (cd "$logs" && "$binary" "${limits[@]}" -max_total_time="$seconds" -dict="$DICT" \
        -artifact_prefix="$artifacts/" -print_final_stats=1 "${parallel[@]}" "${extra[@]}" "$corpus")
    status=$?
    set -e

    new="$(comm -13 <(printf '%s\n' "$before" | sort) <(ls -A "$artifacts" | sort) | sed '/^$/d')"
    if [[ -n "$new" ]]; then
        echo "run.sh: libFuzzer exited $status and left reproducers (crash-*: crash, timeout-*: hang," >&2
        echo "run.sh: oom-*: memory, leak-*: leak):" >&2
        printf '%s\n' "$new" | sed "s|^|    $artifacts/|" >&2
        echo "run.sh: replay one with: Fuzz/run.sh --replay FILE   (GSCTL_FUZZ_PRINT=1 also prints its report)" >&2
        exit $((status == 0 ? 1 : status))
    fi
    if ((status != 0)); then
        echo "run.sh: libFuzzer exited $status without leaving a reproducer (interrupted? see its output above)" >&2
        exit "$status"
    fi
    echo "==> no crash, hang or memory blow-up in ${seconds}s" >&2
}

main "$@"
