# Sourced by bench/*/run.sh (from the repository root) after `cd`: makes $GSCTL the binary to
# measure. Given (GSCTL=path), it must be executable; otherwise this checkout is built in
# release. Usage: bench_gsctl NAME [extra swift build flags, such as --static-swift-stdlib]
bench_gsctl() {
    local name=$1
    shift
    if [[ -z "${GSCTL:-}" ]]; then
        echo "$name: building gsctl (release) ..." >&2
        swift build -c release --product gsctl "$@" >&2
        GSCTL="$(swift build -c release --show-bin-path)/gsctl"
    fi
    [[ -x "$GSCTL" ]] || { echo "$name: GSCTL=$GSCTL is not an executable" >&2; exit 2; }
}
