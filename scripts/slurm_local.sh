#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, to run fearsim sweeps through
# hydra/launcher=slurm for real (tests/test_slurm.py) without a cluster.
#
#   scripts/slurm_local.sh start    install (Debian/Ubuntu: slurm-wlm, munge) and start
#   scripts/slurm_local.sh status   sinfo
#   scripts/slurm_local.sh stop     stop the daemons this script started
#
# Needs root (apt-get, /etc/slurm, the daemons). One node called "localhost"
# with SLURM_LOCAL_CPUS cores (default: all) and SLURM_LOCAL_MEM_MB of memory
# (default: 80% of this machine's), one partition "debug". No accounting
# database: submitit warns that sacct is unavailable and works all the same.
set -euo pipefail

CPUS=${SLURM_LOCAL_CPUS:-$(nproc)}
MEM_MB=${SLURM_LOCAL_MEM_MB:-$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.8}' /proc/meminfo)}
CONF=/etc/slurm/slurm.conf
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_PID=/run/munge/munged.pid

install() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
            && command -v sbatch >/dev/null && command -v munged >/dev/null; then
        return
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
}

configure() {
    mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
    cat >"$CONF" <<CONFEOF
# written by fearsim's scripts/slurm_local.sh: one node, no accounting
ClusterName=fearsim-local
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=localhost CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONFEOF
}

alive() {  # a pid file whose process runs
    [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

start_munge() {
    alive "$MUNGE_PID" && return
    mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
    if [[ ! -s /etc/munge/munge.key ]]; then
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
    chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
    chmod 0700 /etc/munge
    chmod 0400 /etc/munge/munge.key
    runuser -u munge -- /usr/sbin/munged
}

start() {
    install
    configure
    start_munge
    alive "$CTLD_PID" || slurmctld
    alive "$SLURMD_PID" || slurmd -N localhost
    for _ in $(seq 60); do
        state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
        case $state in
            idle*|mixed*|allocated*) sinfo; return 0 ;;
            down*|drain*) scontrol update nodename=localhost state=resume 2>/dev/null || true ;;
        esac
        sleep 1
    done
    echo "slurm_local: the node did not come up (see /var/log/slurm/)" >&2
    return 1
}

stop() {
    for pidfile in "$SLURMD_PID" "$CTLD_PID" "$MUNGE_PID"; do
        if alive "$pidfile"; then
            kill "$(cat "$pidfile")"
        fi
    done
}

case ${1:-start} in
    start) start ;;
    stop) stop ;;
    status) sinfo ;;
    *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
