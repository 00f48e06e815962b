#!/usr/bin/env bash
# Bring up / tear down a single-node SLURM cluster on this machine, for running the
# valueaudit workflow through snakemake-executor-plugin-slurm (see /work/shared/SLURM.md).
#
#   scripts/slurm/cluster.sh up       install (if missing), configure, start munged, slurmctld,
#                                     slurmd; wait until the node is idle
#   scripts/slurm/cluster.sh down     cancel queued jobs, stop the daemons by their pid files
#   scripts/slurm/cluster.sh status   show daemons, node state and queue
#
# Made for a throw-away Debian 12 machine (or container) where you are root and systemd is not
# running: apt does not start services there, so this script starts them itself. Every daemon
# writes a pid file under $VALUEAUDIT_SLURM_STATE (default /run/valueaudit-slurm) and is stopped
# by that pid only, never by name. No accounting (slurmdbd): use `slurm-status-command: squeue`
# in the Snakemake profile. Both `up` and `down` are idempotent.
#
# Environment:
#   VALUEAUDIT_SLURM_STATE        state dir for pid files and logs   [/run/valueaudit-slurm]
#   VALUEAUDIT_SLURM_CONF         slurm.conf to write                [/etc/slurm/slurm.conf]
#   VALUEAUDIT_SLURM_WAIT         seconds to wait for daemons/node   [60]
#   VALUEAUDIT_SLURM_FORCE=1      overwrite a slurm.conf this script did not write
set -euo pipefail

STATE="${VALUEAUDIT_SLURM_STATE:-/run/valueaudit-slurm}"
CONF="${VALUEAUDIT_SLURM_CONF:-/etc/slurm/slurm.conf}"
# daemons and client commands started from here read this file (export SLURM_CONF yourself
# for other shells if you change it from the default)
export SLURM_CONF="$CONF"
WAIT="${VALUEAUDIT_SLURM_WAIT:-60}"
MARKER="# written by valueaudit scripts/slurm/cluster.sh"
NODE=localhost
PARTITION=debug

MUNGE_PID="$STATE/munge/munged.pid"
CTLD_PID="$STATE/slurmctld/slurmctld.pid"
SLURMD_PID="$STATE/slurmd.pid"
LOGDIR="$STATE/log"

log() { printf '[cluster.sh] %s\n' "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

# ---------------------------------------------------------------- pid helpers
# running PID: true if PID is a live process (a zombie, exited but not yet reaped, is not)
running() {
    local state
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}

# pid_alive PIDFILE COMM: true if the pid in PIDFILE is a live process whose command name is COMM
# (guards against a stale pid file whose pid has been reused by another program).
pid_alive() {
    local pidfile=$1 comm=$2 pid
    [[ -s $pidfile ]] || return 1
    pid=$(tr -dc '0-9' <"$pidfile")
    [[ -n $pid ]] || return 1
    running "$pid" || return 1
    [[ "$(cat "/proc/$pid/comm")" == "$comm"* ]]
}

pid_of() { tr -dc '0-9' <"$1"; }

show_logs() {
    local f
    for f in "$STATE"/munge/munged.log "$LOGDIR"/slurmctld.log "$LOGDIR"/slurmd.log; do
        if [[ -f $f ]]; then
            printf '\n===== last lines of %s =====\n' "$f" >&2
            tail -n 40 "$f" >&2 || true
        fi
    done
}

# stop_daemon NAME PIDFILE COMM: SIGTERM the pid, wait up to $WAIT s, then SIGKILL it.
stop_daemon() {
    local name=$1 pidfile=$2 comm=$3 pid i
    if ! pid_alive "$pidfile" "$comm"; then
        log "$name not running"
        rm -f "$pidfile"
        return 0
    fi
    pid=$(pid_of "$pidfile")
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < WAIT * 10; i++)); do
        running "$pid" || break
        sleep 0.1
    done
    if running "$pid"; then
        log "$name (pid $pid) ignored SIGTERM for ${WAIT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            running "$pid" || break
            sleep 0.1
        done
    fi
    if running "$pid"; then die "$name (pid $pid) is still running"; fi
    rm -f "$pidfile"
}

# ---------------------------------------------------------------- install and configure
install_packages() {
    local missing=()
    command -v munged >/dev/null || missing+=(munge)
    command -v slurmctld >/dev/null || missing+=(slurmctld)
    command -v slurmd >/dev/null || missing+=(slurmd)
    command -v sinfo >/dev/null || missing+=(slurm-client)
    if ((${#missing[@]})); then
        [[ $(id -u) -eq 0 ]] || die "need root to install ${missing[*]}"
        log "installing: slurmctld slurmd slurm-client munge"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update
        apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge
    fi
}

# node_topology: the hardware fields of `slurmd -C` (CPUs=... RealMemory=...), without NodeName.
node_topology() {
    local line
    line=$(slurmd -C | head -n 1)
    [[ $line == NodeName=* ]] || die "unexpected 'slurmd -C' output: $line"
    # drop the NodeName=<host> field; keep CPUs, Boards, SocketsPerBoard, ..., RealMemory
    # (RealMemory as detected: never larger, or slurmctld drains the node).
    printf '%s\n' "$line" | tr ' ' '\n' | grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore|RealMemory)=' | tr '\n' ' ' | sed 's/ $//'
}

CONF_CHANGED=0
write_conf() { # sets CONF_CHANGED=1 when the file was (re)written
    local topo new
    topo=$(node_topology)
    [[ -n $topo ]] || die "could not read the node topology from 'slurmd -C'"
    new=$(
        cat <<EOF
$MARKER
# Single-node test cluster, no cgroups, no accounting. See /work/shared/SLURM.md.
ClusterName=valueaudit
SlurmctldHost=$NODE
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# a job that asks for no memory must not take the whole node
DefMemPerCPU=1024
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# MinJobAge stays at its default (300 s): finished jobs remain visible to squeue,
# which the Snakemake plugin uses as status command when there is no accounting.
ReturnToService=2
NodeName=$NODE NodeAddr=127.0.0.1 $topo State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    )
    if [[ -f $CONF ]] && ! grep -qxF "$MARKER" "$CONF"; then
        if [[ ${VALUEAUDIT_SLURM_FORCE:-0} != 1 ]]; then
            die "$CONF exists and was not written by this script; set VALUEAUDIT_SLURM_FORCE=1 to overwrite (a backup is kept)"
        fi
        cp -p "$CONF" "$CONF.valueaudit-backup"
        log "backed up $CONF to $CONF.valueaudit-backup"
    fi
    mkdir -p "$(dirname "$CONF")"
    if [[ -f $CONF ]] && [[ "$(cat "$CONF")" == "$new" ]]; then
        return 0 # unchanged
    fi
    printf '%s\n' "$new" >"$CONF.tmp"
    chmod 644 "$CONF.tmp"
    mv "$CONF.tmp" "$CONF"
    log "wrote $CONF"
    CONF_CHANGED=1
}

make_dirs() {
    install -d -m 755 -o root -g root "$STATE"
    install -d -m 755 -o munge -g munge "$STATE/munge"
    install -d -m 755 -o slurm -g slurm "$STATE/slurmctld" "$LOGDIR"
    install -d -m 755 -o munge -g munge /run/munge
    install -d -m 700 -o munge -g munge /var/log/munge
    install -d -m 711 -o munge -g munge /var/lib/munge
    install -d -m 755 -o slurm -g slurm /var/spool/slurmctld
    install -d -m 755 -o root -g root /var/spool/slurmd
    if [[ ! -s /etc/munge/munge.key ]]; then
        install -d -m 700 -o munge -g munge /etc/munge
        log "creating /etc/munge/munge.key"
        if command -v mungekey >/dev/null; then
            runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key
        else
            dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
            chown munge:munge /etc/munge/munge.key
        fi
        chmod 600 /etc/munge/munge.key
    fi
}

wait_for() { # wait_for DESCRIPTION COMMAND...: poll COMMAND every 0.2 s for up to $WAIT s
    local what=$1 i
    shift
    for ((i = 0; i < WAIT * 5; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    show_logs
    die "timed out after ${WAIT}s waiting for $what"
}

node_state() { sinfo -h -n "$NODE" -o %t 2>/dev/null | head -n 1; }

# epoch seconds of the last slurmd registration slurmctld knows of (0 if none)
slurmd_registered_at() {
    local t
    t=$(scontrol show node "$NODE" 2>/dev/null | grep -o 'SlurmdStartTime=[^ ]*' | cut -d= -f2)
    date -d "${t:-@0}" +%s 2>/dev/null || echo 0
}

# the node is ready when idle (on a second `up` while jobs run: mix/alloc/completing) and, when
# this `up` started slurmd, once that slurmd has registered (SLURMD_STARTED, epoch seconds)
SLURMD_STARTED=0
node_ready() {
    [[ "$(node_state)" =~ ^(idle|mix|alloc|comp)$ ]] || return 1
    ((SLURMD_STARTED == 0)) || (($(slurmd_registered_at) >= SLURMD_STARTED))
}

cmd_up() {
    [[ $(id -u) -eq 0 ]] || die "run as root"
    install_packages
    make_dirs
    write_conf

    if pid_alive "$MUNGE_PID" munged; then
        log "munged already running (pid $(pid_of "$MUNGE_PID"))"
    else
        log "starting munged"
        runuser -u munge -- /usr/sbin/munged --pid-file="$MUNGE_PID" --log-file="$STATE/munge/munged.log" ||
            {
                show_logs
                die "munged failed to start"
            }
        wait_for "munged pid file" pid_alive "$MUNGE_PID" munged
        wait_for "munge round trip" bash -c 'munge -n | unmunge'
    fi

    if pid_alive "$CTLD_PID" slurmctld; then
        log "slurmctld already running (pid $(pid_of "$CTLD_PID"))"
        if ((CONF_CHANGED)); then
            log "slurm.conf changed: scontrol reconfigure"
            scontrol reconfigure
        fi
    else
        log "starting slurmctld"
        /usr/sbin/slurmctld || {
            show_logs
            die "slurmctld failed to start"
        }
        wait_for "slurmctld pid file" pid_alive "$CTLD_PID" slurmctld
        wait_for "slurmctld to answer" scontrol ping
    fi

    if pid_alive "$SLURMD_PID" slurmd; then
        log "slurmd already running (pid $(pid_of "$SLURMD_PID"))"
    else
        log "starting slurmd -N $NODE"
        SLURMD_STARTED=$(($(date +%s) - 1))
        /usr/sbin/slurmd -N "$NODE" || {
            show_logs
            die "slurmd failed to start"
        }
        wait_for "slurmd pid file" pid_alive "$SLURMD_PID" slurmd
    fi

    # a node left down/drained by an earlier unclean stop is returned to service
    local i st
    for ((i = 0; i < WAIT * 5; i++)); do
        st=$(node_state)
        if [[ $st =~ ^(down|drain|drng|fail) ]]; then
            log "node state '$st': resuming"
            scontrol update NodeName="$NODE" State=RESUME || true
        fi
        node_ready && break
        sleep 0.2
    done
    if ! node_ready; then
        show_logs
        sinfo -N -l >&2 || true
        die "node $NODE not idle after ${WAIT}s (state '$(node_state)')"
    fi
    log "cluster up: partition $PARTITION, node $NODE $(node_state)"
    sinfo
}

cmd_down() {
    [[ $(id -u) -eq 0 ]] || die "run as root"
    local i jobs
    if pid_alive "$CTLD_PID" slurmctld; then
        jobs=$(squeue -h -o %A 2>/dev/null || true)
        if [[ -n $jobs ]]; then
            log "cancelling jobs: $(echo "$jobs" | tr '\n' ' ')"
            # shellcheck disable=SC2086
            scancel $jobs || true
            if pid_alive "$SLURMD_PID" slurmd; then
                for ((i = 0; i < WAIT * 5; i++)); do
                    [[ -z "$(squeue -h -t PD,R,CG,S -o %A 2>/dev/null)" ]] && break
                    sleep 0.2
                done
            fi
        fi
    fi
    stop_daemon slurmd "$SLURMD_PID" slurmd
    stop_daemon slurmctld "$CTLD_PID" slurmctld
    stop_daemon munged "$MUNGE_PID" munged
    log "cluster down"
}

cmd_status() {
    local rc=0 name pidfile comm
    for name in munged slurmctld slurmd; do
        case $name in
        munged) pidfile=$MUNGE_PID comm=munged ;;
        slurmctld) pidfile=$CTLD_PID comm=slurmctld ;;
        slurmd) pidfile=$SLURMD_PID comm=slurmd ;;
        esac
        if pid_alive "$pidfile" "$comm"; then
            printf '%-10s running (pid %s)\n' "$name" "$(pid_of "$pidfile")"
        else
            printf '%-10s stopped\n' "$name"
            rc=1
        fi
    done
    if ((rc == 0)); then
        printf 'node %s: %s\n' "$NODE" "$(node_state)"
        squeue || true
    fi
    return $rc
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
*)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
