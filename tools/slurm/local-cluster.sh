#!/usr/bin/env bash
# A single-node Slurm cluster in a folder, for tests and for trying `trocar replay --slurm`
# on one machine: its own munge key and daemon, slurmctld and slurmd on localhost ports, all
# state, logs and sockets inside DIR. Nothing outside DIR is touched.
#
#   tools/slurm/local-cluster.sh start DIR [PORT [CPUS]]   # prints: export SLURM_CONF=DIR/slurm.conf
#   tools/slurm/local-cluster.sh stop DIR
# CPUS: what the node offers to jobs (default: all of this machine's).
#
# Needs Debian's slurmctld, slurmd and munge packages (tools/setup.sh installs them). The
# daemons run as the calling user; as root, jobs run as root.
set -euo pipefail
cmd="${1:-}"
dir="${2:-}"
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2; }
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

stop() {
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [[ -f "$pidfile" ]] || continue
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  done
  # Wait for them to go (slurmd and slurmctld write their state on the way out).
  for _ in $(seq 50); do
    alive=0
    for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
      [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile" 2>/dev/null || echo 0)" 2>/dev/null && alive=1
    done
    ((alive)) || break
    sleep 0.1
  done
  rm -f "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"
}

if [[ "$cmd" == stop ]]; then
  stop
  exit 0
fi
[[ "$cmd" == start ]] || { echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2; }

for tool in munged slurmctld slurmd; do
  command -v "$tool" >/dev/null || [[ -x "/usr/sbin/$tool" ]] || {
    echo "error: $tool is not installed (hint: tools/setup.sh installs slurmctld, slurmd and munge)" >&2
    exit 4
  }
done
export PATH="$PATH:/usr/sbin"
port="${3:-$((20000 + ($$ % 20000) * 2))}"
cpus="${4:-$(nproc)}"
user="$(id -un)"
host="$(hostname -s)"
mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
chmod 700 "$dir/munge"
chmod 755 "$dir"
if [[ ! -f "$dir/munge/munge.key" ]]; then
  head -c 1024 /dev/urandom > "$dir/munge/munge.key"
  chmod 600 "$dir/munge/munge.key"
fi
cat > "$dir/slurm.conf" <<EOF
# A one-node cluster for tests (tools/slurm/local-cluster.sh).
ClusterName=trocar-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$dir/slurm.conf"
munged -f --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
  --log-file="$dir/log/munged.log" --pid-file="$dir/munge/munged.pid" --seed-file="$dir/munge/munged.seed"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
# Ready when the node takes jobs.
for _ in $(seq 100); do
  state="$(sinfo -h -o %t 2>/dev/null || true)"
  [[ "$state" == idle* || "$state" == mix* ]] && { echo "export SLURM_CONF=$SLURM_CONF"; exit 0; }
  sleep 0.2
done
echo "error: the local Slurm node did not come up (see $dir/log)" >&2
tail -n 20 "$dir"/log/*.log >&2 || true
stop
exit 4
