#!/usr/bin/env bash
# Builds the fuzz targets and runs libFuzzer on them for a bounded time.
#
#   Fuzz/run.sh [SECONDS] [-- LIBFUZZER_ARGS...]   build, then fuzz each target SECONDS (default 60)
#   Fuzz/run.sh --build-only                        build only (CI: the targets still build)
#   Fuzz/run.sh --replay FILE...                    build, then run the target(s) once on each
#                                                   FILE (reproducers; GSCTL_FUZZ_PRINT=1
#                                                   prints what each input produces)
#   --target NAME                                   (before the rest) only this target, by
#                                                   short or product name; repeatable:
#                                                     loader  SpecLoaderFuzzer  (the spec loader)
#                                                     onnx    ONNXReaderFuzzer  (the ONNX reader)
#
# Environment:
#   GSCTL_FUZZ_BUILD   build directory (default Fuzz/.build, gitignored)
#   GSCTL_FUZZ_CORPUS  directory of working corpora to reuse between runs, one subdirectory
#                      per target (DIR/loader, DIR/onnx) (default: fresh temporary copies of
#                      Fuzz/Corpus/<target>, deleted afterwards)
#   GSCTL_FUZZ_JOBS    parallel fuzzing processes (default 1)
#   SWIFT              the swift driver (default: `swift` on PATH, else /opt/swift/usr/bin/swift)
#
# The committed seeds in Fuzz/Corpus/<target> are only read, never written. Inputs that
# crash, hang (-timeout) or blow memory (-rss_limit_mb) land in
# $GSCTL_FUZZ_BUILD/artifacts/<target>/ and the script exits non-zero naming them.
set -euo pipefail

# The targets, one a line: short name, then product. Seeds are Corpus/<short>, the
# dictionary <short>.dict.
TARGET_TABLE="
loader SpecLoaderFuzzer
onnx ONNXReaderFuzzer
"

# Everything runs inside main so that bash has read the whole script before it starts (an
# edit to this file during a long run cannot change what the run does next).
main() {
    FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    BUILD_DIR="${GSCTL_FUZZ_BUILD:-$FUZZ_DIR/.build}"

    local -A products=()
    local all=()
    local short product
    while read -r short product; do
        [[ -n "$short" ]] || continue
        products[$short]=$product
        all+=("$short")
    done <<<"$TARGET_TABLE"

    mode=fuzz
    seconds=60
    extra=()
    replay=()
    targets=()
    while (($#)); do
        case "$1" in
            --build-only) mode=build ;;
            --replay) mode=replay; shift; replay=("$@"); break ;;
            --target)
                (($# >= 2)) || { echo "run.sh: --target needs a name (${all[*]})" >&2; exit 2; }
                local found=""
                for short in "${all[@]}"; do
                    if [[ "$2" == "$short" || "$2" == "${products[$short]}" ]]; then found=$short; fi
                done
                [[ -n "$found" ]] || { echo "run.sh: unknown target '$2' (one of: ${all[*]})" >&2; exit 2; }
                targets+=("$found")
                shift ;;
            --target=*) set -- --target "${1#--target=}" "${@:2}"; continue ;;
            --) shift; extra=("$@"); break ;;
            -h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
            ''|*[!0-9]*) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
            *) seconds="$1" ;;
        esac
        shift
    done
    ((${#targets[@]})) || targets=("${all[@]}")

    if [[ -z "${SWIFT:-}" ]]; then
        if command -v swift >/dev/null 2>&1; then SWIFT=swift; else SWIFT=/opt/swift/usr/bin/swift; fi
    fi

    # Release (-O) with libFuzzer's coverage instrumentation and AddressSanitizer on every
    # module (GSCore, GSSpec, the ONNX codec and the targets). Not `swift build
    # --sanitize=fuzzer --sanitize=address`: SwiftPM hands those to swiftc as two -sanitize=
    # options, and the Swift 6.3 driver honours only one of them: GSSpec came out without
    # coverage counters (libFuzzer then says "no interesting inputs were found ... Is the code
    # instrumented for coverage?"). The toolchain's lld links quietly; ld.gold prints
    # thousands of "Cannot export local symbol __asan_check_*" warnings but works too.
    build_flags=(-c release -Xswiftc -sanitize=fuzzer,address)
    if [[ -x "$(dirname "$(command -v "$SWIFT")")/ld.lld" ]]; then
        build_flags+=(-Xswiftc -use-ld=lld)
    fi

    local -A binaries=()
    for short in "${targets[@]}"; do
        product=${products[$short]}
        echo "==> building $product into $BUILD_DIR" >&2
        start=$SECONDS
        set +e
        "$SWIFT" build --package-path "$FUZZ_DIR" --build-path "$BUILD_DIR" "${build_flags[@]}" --product "$product" \
            2>&1 | grep -v "Cannot export local symbol '__asan" >&2
        status=${PIPESTATUS[0]}
        set -e
        if ((status != 0)); then
            echo "run.sh: build of $product failed (swift build exit $status)" >&2
            exit "$status"
        fi
        binaries[$short]="$("$SWIFT" build --package-path "$FUZZ_DIR" --build-path "$BUILD_DIR" "${build_flags[@]}" \
            --product "$product" --show-bin-path)/$product"
        echo "==> built ${binaries[$short]} in $((SECONDS - start))s" >&2
    done

    # Swift code with LeakSanitizer: globals that Swift initialises once (swift_once) live as long
    # as the process, in ways LSan cannot always trace; Fuzz/lsan.supp says they are not leaks.
    export LSAN_OPTIONS="suppressions=$FUZZ_DIR/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

    # Crashes go to libFuzzer's handler (stack trace, crash-* file). Swift's own backtracer would
    # catch the signal first, and with AddressSanitizer it can stall for its 30 s timeout instead.
    export SWIFT_BACKTRACE=enable=no

    # A target without coverage counters still "fuzzes", blindly: refuse it (one empty input).
    for short in "${targets[@]}"; do
        probe="$("${binaries[$short]}" -runs=0 2>&1 || true)"
        if [[ "$probe" != *"inline 8-bit counters"* ]]; then
            echo "run.sh: ${binaries[$short]} has no libFuzzer coverage instrumentation (check the -sanitize flags)" >&2
            exit 1
        fi
    done
    [[ "$mode" == build ]] && exit 0

    limits=(-max_len=65536 -rss_limit_mb=2048 -timeout=10)

    if [[ "$mode" == replay ]]; then
        ((${#replay[@]})) || { echo "run.sh: --replay needs files" >&2; exit 2; }
        if ((${#targets[@]} == 1)); then
            exec "${binaries[${targets[0]}]}" "${limits[@]}" "${replay[@]}"
        fi
        # No --target: each target runs every file (a reproducer of one is just another input
        # to the others); the first that fails decides the exit status.
        for short in "${targets[@]}"; do
            echo "==> replaying on ${products[$short]}" >&2
            "${binaries[$short]}" "${limits[@]}" "${replay[@]}" || exit $?
        done
        exit 0
    fi

    jobs="${GSCTL_FUZZ_JOBS:-1}"
    parallel=()
    if ((jobs > 1)); then
        parallel=(-jobs="$jobs" -workers="$jobs")
    fi
    cleanup=()
    trap 'rm -rf "${cleanup[@]}"' EXIT
    failed=0
    for short in "${targets[@]}"; do
        fuzz_one "$short" "${products[$short]}" "${binaries[$short]}" || failed=$?
    done
    exit "$failed"
}

# Fuzzes one target for $seconds: fuzz_one SHORT PRODUCT BINARY. Returns non-zero (and names
# the reproducers) when libFuzzer found something or failed.
fuzz_one() {
    local short=$1 product=$2 binary=$3
    local seeds="$FUZZ_DIR/Corpus/$short"
    local dict="$FUZZ_DIR/$short.dict"
    local artifacts="$BUILD_DIR/artifacts/$short"
    local corpus
    mkdir -p "$artifacts"
    if [[ -n "${GSCTL_FUZZ_CORPUS:-}" ]]; then
        corpus="$GSCTL_FUZZ_CORPUS/$short"
        mkdir -p "$corpus"
    else
        corpus="$(mktemp -d "${TMPDIR:-/tmp}/gsctl-fuzz-corpus-$short.XXXXXX")"
        cleanup+=("$corpus")
    fi
    # Seeds are copied in (new ones added, grown ones kept), so libFuzzer writes only to the copy.
    cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
    local dict_args=()
    [[ -f "$dict" ]] && dict_args=(-dict="$dict")

    local before
    before="$(ls -A "$artifacts")"
    echo "==> fuzzing $product for ${seconds}s: corpus $corpus (seeds from $seeds), artifacts in $artifacts" >&2
    # libFuzzer writes fuzz-N.log files to the working directory when -jobs is given.
    local logs="$BUILD_DIR/logs/$short"
    mkdir -p "$logs"
    local status
    set +e
    (cd "$logs" && "$binary" "${limits[@]}" -max_total_time="$seconds" "${dict_args[@]}" \
        -artifact_prefix="$artifacts/" -print_final_stats=1 "${parallel[@]}" "${extra[@]}" "$corpus")
    status=$?
    set -e

    local new
    new="$(comm -13 <(printf '%s\n' "$before" | sort) <(ls -A "$artifacts" | sort) | sed '/^$/d')"
    if [[ -n "$new" ]]; then
        echo "run.sh: $product: libFuzzer exited $status and left reproducers (crash-*: crash," >&2
        echo "run.sh: timeout-*: hang, oom-*: memory, leak-*: leak):" >&2
        printf '%s\n' "$new" | sed "s|^|    $artifacts/|" >&2
        echo "run.sh: replay one with: Fuzz/run.sh --target $short --replay FILE   (GSCTL_FUZZ_PRINT=1 also prints what it produces)" >&2
        return $((status == 0 ? 1 : status))
    fi
    if ((status != 0)); then
        echo "run.sh: $product: libFuzzer exited $status without leaving a reproducer (interrupted? see its output above)" >&2
        return "$status"
    fi
    echo "==> $product: no crash, hang or memory blow-up in ${seconds}s" >&2
}

main "$@"
