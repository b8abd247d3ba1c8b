#!/bin/bash
# A one-node SLURM cluster on this machine, for `lnl sweep --executor slurm` and its tests:
#   sudo scripts/slurm-local.sh start    # munge key, slurm.conf for this host, munged, slurmctld, slurmd
#   sudo scripts/slurm-local.sh stop
# Needs Debian's slurm-wlm and munge (apt-get install -y slurm-wlm munge); runs as root without systemd.
set -euo pipefail
CONF=/etc/slurm/slurm.conf
case "${1:-}" in
start)
    command -v slurmctld >/dev/null || { echo "slurm-local: install slurm-wlm and munge first (apt-get install -y slurm-wlm munge)" >&2; exit 2; }
    mkdir -p /etc/munge /var/log/munge /run/munge /var/lib/munge /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
    [ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chown -R munge:munge /etc/munge /var/log/munge /run/munge /var/lib/munge 2>/dev/null || true
    chmod 400 /etc/munge/munge.key
    host=$(hostname -s)
    cpus=$(nproc)
    mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
    cat > "$CONF" <<CONF
ClusterName=lnl
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
MpiDefault=none
DefMemPerCPU=$(( mem / cpus ))
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    pgrep -x munged >/dev/null || su -s /bin/sh munge -c "munged" 2>/dev/null || munged --force
    # a daemon already up reads the configuration again
    if pgrep -x slurmctld >/dev/null; then scontrol reconfigure; else slurmctld; fi
    pgrep -x slurmd >/dev/null || slurmd
    for _ in $(seq 30); do sinfo -h -o %T 2>/dev/null | grep -qx idle && { sinfo; exit 0; }; sleep 1; done
    echo "slurm-local: the node did not come up idle; see /var/log/slurm/" >&2; exit 1 ;;
stop)
    pkill -x slurmd || true; pkill -x slurmctld || true; pkill -x munged || true ;;
*)
    echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
