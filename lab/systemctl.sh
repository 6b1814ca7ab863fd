#!/bin/bash
# The lab's stand-in for systemd's systemctl, written for xapi-ovn and installed by
# lab/emulated-systemd.ts as <host rundir>/systemd/bin/systemctl, for the one unit the plugin's
# fn=service drives (plugin/functions/service.ts): ovn-controller.service. It answers what
# fn=service asks, the way systemctl does:
#   systemctl show --no-pager --property=Id,LoadState,... ovn-controller.service   KEY=VALUE lines
#   systemctl [--no-block] start|stop|restart ovn-controller.service
# - start runs ovn-controller the way the lab's LabHost.startOvnController does (lab/daemon.ts:
#   --detach --no-chdir --pidfile --log-file -vconsole:off, the local conf.db), and does nothing
#   when it already runs (systemctl start of an active unit); stop sends SIGTERM to the pidfile's
#   process and waits for it to go; restart is stop then start; the pidfile is the one LabHost uses,
#   so a unit started either way is the same ovn-controller.
# - show reports ActiveState active/SubState running with MainPID while that process lives, else
#   inactive/dead and MainPID=0; UnitFileState enabled; DropInPaths the RPM's drop-in.
# - any other unit: "Unit NAME not found." on stderr, exit 5; any other verb: exit 1.
# Lab differences, each with its reason:
# - the drop-in's ExecStartPre (the wait for the XAPI bridge, plugin/boot-wait.ts) is not run: the
#   lab starts the unit only once setup has configured the host, when that wait returns at once;
#   boot ordering has its own test (test/integration/boot-order.test.ts).
# - --no-block waits all the same (starting takes a moment).
# - fn=service gives systemctl only PATH (here: this script's directory alone, so the machine's
#   own systemctl and journalctl are never found) and LC_ALL; the script sets xapi's PATH for what
#   it runs, and reads the daemons' environment of this lab host (its OVS and OVN run directories)
#   from lab.env one level above it.
set -e
export PATH=/sbin:/usr/sbin:/bin:/usr/bin

DIR="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=/dev/null
. "$DIR/lab.env"
UNIT=ovn-controller.service
PIDFILE="$OVN_RUNDIR/ovn-controller.pid"
SINCE="$DIR/ovn-controller.since"
DROP_IN=/usr/lib/systemd/system/ovn-controller.service.d/xapi-ovn.conf

VERB=""
NAME=""
for a in "$@"; do
  case "$a" in
    --no-block | --no-pager | --property=*) ;;
    -*) echo "systemctl (lab): unknown option $a" >&2; exit 1 ;;
    *) if [ -z "$VERB" ]; then VERB="$a"; else NAME="$a"; fi ;;
  esac
done

running_pid() {
  [ -f "$PIDFILE" ] || return 0
  local pid
  pid="$(cat "$PIDFILE")"
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "ovn-controller" ]; then echo "$pid"; fi
}

if [ "$NAME" != "$UNIT" ]; then
  echo "Unit $NAME not found." >&2
  exit 5
fi

stop_unit() {
  local pid
  pid="$(running_pid)"
  [ -n "$pid" ] || return 0
  kill -TERM "$pid"
  for _ in $(seq 100); do
    [ -z "$(running_pid)" ] && break
    sleep 0.1
  done
  if [ -n "$(running_pid)" ]; then kill -KILL "$pid"; fi
  rm -f "$SINCE"
}

start_unit() {
  [ -z "$(running_pid)" ] || return 0
  ovn-controller "unix:$OVS_RUNDIR/db.sock" --detach --no-chdir "--pidfile=$PIDFILE" \
    "--log-file=$OVN_RUNDIR/ovn-controller.log" -vconsole:off
  date -u '+%a %Y-%m-%d %H:%M:%S UTC' > "$SINCE"
}

case "$VERB" in
  show)
    PID="$(running_pid)"
    echo "Id=$UNIT"
    echo "LoadState=loaded"
    if [ -n "$PID" ]; then
      echo "ActiveState=active"
      echo "SubState=running"
      echo "MainPID=$PID"
      echo "ActiveEnterTimestamp=$(cat "$SINCE" 2>/dev/null || true)"
    else
      echo "ActiveState=inactive"
      echo "SubState=dead"
      echo "MainPID=0"
      echo "ActiveEnterTimestamp="
    fi
    echo "UnitFileState=enabled"
    echo "Result=success"
    echo "DropInPaths=$DROP_IN"
    ;;
  start) start_unit ;;
  stop) stop_unit ;;
  restart) stop_unit; start_unit ;;
  *) echo "Unknown command verb $VERB." >&2; exit 1 ;;
esac
