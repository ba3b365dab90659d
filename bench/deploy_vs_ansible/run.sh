#!/usr/bin/env bash
# deploy_vs_ansible: the same rollout of a signed bundle to 8 real SSH hosts (network
# namespaces) by `gsctl apply` and by ansible-core (rollout.yml), side by side: first deploy,
# no-op re-apply, one model changed. Wall time, bytes on the hosts' links, the agent's memory.
#
#   bash bench/deploy_vs_ansible/run.sh      # `make bench` calls this; needs root
#
# Environment:
#   GSCTL=path/to/gsctl            binary to measure (default: `swift build -c release
#                                  --static-swift-stdlib`, as `make build`, into the scratch
#                                  folder DEPLOY_BENCH_SCRATCH=/tmp/build-rel-static)
#   DEPLOY_BENCH_ROUNDS=2          rounds (fresh hosts each; the three scenarios in each)
#   DEPLOY_BENCH_NOOP_REPEAT=2     no-op re-applies per round and tool
#   GS_BRIDGE=gsbench0             the hosts' bridge (scripts/netns-hosts.sh), and its address:
#   GS_BRIDGE_ADDR=10.77.1.1/24    hosts are .101-.108 of its /24. Its own /24: a second bridge
#                                  on the tests' 10.77.0.0/24 (gsbr0) would shadow their route
#
# Writes bench/out/deploy_vs_ansible.json and bench/out/deploy_vs_ansible/ (each run's output).
# Exit 0 when every target is met, 1 when one is missed (named at the end), 2 on a setup error.
# Everything it starts (namespaces, sshd, agents, services, SSH masters) is gone when it exits.
set -euo pipefail

if [[ -n "${GSCTL:-}" && "$GSCTL" != /* ]]; then GSCTL="$PWD/$GSCTL"; fi
cd "$(dirname "$0")/../.."
here=bench/deploy_vs_ansible
out=bench/out/deploy_vs_ansible
venv=bench/.venv-ansible

fail() { echo "deploy_vs_ansible: $*" >&2; exit 2; }
[[ "$(id -u)" == 0 ]] || fail "needs root (network namespaces for the hosts)"
for tool in ip ssh ssh-keygen zstd tar git /usr/sbin/sshd /usr/bin/python3 start-stop-daemon; do
    command -v "$tool" >/dev/null || fail "'$tool' is missing (apt-get install iproute2 openssh-server openssh-client zstd git python3)"
done
python=${PYTHON:-python3}
command -v "$python" >/dev/null || fail "python3 is needed"

# gsctl: the given binary, or a release build of this checkout linked as `make build` links
# it (the Swift runtime static: the agent is one file, and its memory is that file's).
if [[ -z "${GSCTL:-}" ]]; then
    scratch=${DEPLOY_BENCH_SCRATCH:-/tmp/build-rel-static}
    echo "deploy_vs_ansible: building gsctl (release, static Swift runtime) in $scratch ..."
    swift build -c release --product gsctl --static-swift-stdlib --scratch-path "$scratch" >&2 ||
        fail "the release build of gsctl failed (above)"
    GSCTL=$scratch/release/gsctl
fi
[[ -x "$GSCTL" ]] || fail "GSCTL=$GSCTL is not an executable"

# ansible-core, pinned, in its own venv (reinstalled when the pins change).
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [[ ! -x "$venv/bin/ansible-playbook" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "deploy_vs_ansible: installing ansible-core into $venv ..."
    [[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    echo "$want" >"$stamp"
fi

# The hosts: bench-1..8 on the bridge's /24 at .101-.108.
export GS_BRIDGE=${GS_BRIDGE:-gsbench0}
export GS_BRIDGE_ADDR=${GS_BRIDGE_ADDR:-10.77.1.1/24}
prefix=${GS_BRIDGE_ADDR%/*}
prefix=${prefix%.*}
hosts=()
for i in 1 2 3 4 5 6 7 8; do hosts+=("bench-$i=$prefix.10$i"); done

# Scratch under /tmp: sshd_config paths cannot hold spaces, control sockets want short paths.
work=$(mktemp -d /tmp/gsctl-dvb-XXXXXX)
cleanup() {
    local rc=$? dir ns pid sshd addr sock
    trap - EXIT INT TERM
    # SSH masters first (ours only: our hosts' sockets in gsctl's shared folder, and Ansible's).
    for spec in "${hosts[@]}"; do
        addr=${spec#*=}
        ssh -o BatchMode=yes -o "ControlPath=/tmp/gsctl-ssh-$(id -u)/%C" -O exit "root@$addr" >/dev/null 2>&1 || true
    done
    for sock in "$work"/cp/*; do
        [[ -S "$sock" ]] && ssh -o BatchMode=yes -o "ControlPath=$sock" -O exit x >/dev/null 2>&1 || true
    done
    # Every process in our namespaces (agents, supervisors, tasks, Ansible's services), by pid.
    for dir in "$work"/hosts/*/; do
        [[ -f "$dir/netns" ]] || continue
        ns=$(cat "$dir/netns")
        sshd=$(cat "$dir/sshd.pid" 2>/dev/null || true)
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            [[ "$pid" == "$sshd" ]] || kill -9 "$pid" 2>/dev/null || true
        done
    done
    bash scripts/netns-hosts.sh down "$work/hosts" || true
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash scripts/netns-hosts.sh up "$work/hosts" "${hosts[@]}" >/dev/null

status=0
"$venv/bin/python" "$here/bench.py" \
    --gsctl "$GSCTL" --ansible-venv "$venv" --hosts-dir "$work/hosts" \
    $(printf -- '--host %s ' "${hosts[@]}") \
    --work "$work" --here "$here" \
    --model Specs/models/ppocr_cls.onnx --data Specs/data/text-lines \
    --logs "$out" --json bench/out/deploy_vs_ansible.json \
    --rounds "${DEPLOY_BENCH_ROUNDS:-2}" --noop-repeat "${DEPLOY_BENCH_NOOP_REPEAT:-2}" || status=$?
exit "$status"
