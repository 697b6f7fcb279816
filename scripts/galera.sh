#!/usr/bin/env bash
# A copy of ../shared/tools/galera.sh, kept here so that CI on a clean clone has it.
# A three-node MariaDB Galera cluster on loopback (ports 3311-3313), for scale-out checks.
# Usage: galera.sh start DIR, galera.sh stop DIR. Needs Debian's mariadb-server, galera-4 and rsync; run as root.
# Each node: SQL on 127.0.0.1:3311..3313, user root, empty password. start waits until all three are Synced.
set -eu
cmd=${1:?start or stop}; dir=${2:-/tmp/galera}
node() {
  i=$1; addr=$2
  setsid /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$dir/n$i/data" --port=$((3310+i)) \
    --bind-address=127.0.0.1 --socket="$dir/n$i/sock" --pid-file="$dir/n$i/pid" --log-error="$dir/n$i/err.log" \
    --binlog-format=ROW --default-storage-engine=InnoDB --innodb-autoinc-lock-mode=2 \
    --wsrep-on=ON --wsrep-provider=/usr/lib/galera/libgalera_smm.so --wsrep-cluster-name=gh \
    --wsrep-cluster-address="$addr" --wsrep-node-address=127.0.0.1 \
    --wsrep-provider-options="base_port=$((4566+i));gmcast.listen_addr=tcp://127.0.0.1:$((4566+i));ist.recv_addr=127.0.0.1:$((4576+i))" \
    --wsrep-sst-method=rsync --wsrep-sst-receive-address=127.0.0.1:$((4586+i)) --wsrep-node-name=n$i >/dev/null 2>&1 &
}
wait_synced() {
  for _ in $(seq 60); do
    s=$(mariadb -uroot -h127.0.0.1 -P$1 -N -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2)
    [ "$s" = Synced ] && return 0; sleep 1
  done; echo "node on port $1 did not sync" >&2; return 1
}
case $cmd in
start)
  rm -rf "$dir"; mkdir -p "$dir"/n1 "$dir"/n2 "$dir"/n3; chown -R mysql:mysql "$dir"
  for i in 1 2 3; do mariadb-install-db --no-defaults --user=mysql --datadir="$dir/n$i/data" --auth-root-authentication-method=normal >/dev/null; done
  node 1 gcomm://; wait_synced 3311
  node 2 gcomm://127.0.0.1:4567; wait_synced 3312
  node 3 gcomm://127.0.0.1:4567; wait_synced 3313
  mariadb -uroot -h127.0.0.1 -P3311 -N -e "SHOW STATUS LIKE 'wsrep_cluster_size'" ;;
stop)
  for i in 3 2 1; do [ -f "$dir/n$i/pid" ] && kill "$(cat "$dir/n$i/pid")" 2>/dev/null || true; done ;;
esac
