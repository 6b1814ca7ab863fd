#!/bin/bash
# The lab's stand-in for xapi's /etc/xapi.d/plugins/firewall-port, written for xapi-ovn and
# installed by lab/dom0-firewall.ts as <host rundir>/xapi.d/plugins/firewall-port. It follows the
# semantics of xapi-project/xen-api scripts/plugins/firewall-port:
#   firewall-port {open|close|check} PORT [PROTO]   (PROTO defaults to tcp)
# - the rule is `-p PROTO -m conntrack --ctstate NEW -m PROTO --dport PORT -j ACCEPT`, in the
#   chain xapi-INPUT (RH-Firewall-1-INPUT for port 80, as xapi's does);
# - open inserts it (iptables -I, so ahead of xapi-INPUT's final RETURN) unless `iptables -C`
#   finds it, creating the chain and its INPUT jump first if the chain is missing, then saves;
# - close deletes it if `iptables -C` finds it, then saves;
# - check prints "Port N open: true" when NO rule of the chain mentions the port, "false" when one
#   does: inverted, exactly as xapi's does (xapi-ovn never relies on it);
# - anything else: usage on stderr, exit 1; any failing iptables call exits non-zero (set -e).
# Lab differences, each with its reason:
# - "save" is `iptables-save > <rundir>/iptables` instead of `service iptables save`
#   (/etc/sysconfig/iptables): a lab host has no iptables service and must not touch the
#   machine's /etc; the file sits two levels above this script (the host's rundir).
# - iptables runs with -w: lab hosts share one machine, and without -w a concurrent iptables run
#   in another namespace may fail on the xtables lock instead of waiting for it.
set -e

OP="$1"
PORT="$2"
PROTOCOL="${3:-tcp}"
RULE="-p $PROTOCOL -m conntrack --ctstate NEW -m $PROTOCOL --dport $PORT -j ACCEPT"
SAVED="$(cd "$(dirname "$0")/../.." && pwd)/iptables"

case "$PORT" in
  80) CHAIN="RH-Firewall-1-INPUT" ;;
  *) CHAIN="xapi-INPUT" ;;
esac

save() {
  iptables-save >"$SAVED.tmp"
  mv "$SAVED.tmp" "$SAVED"
}

case "$OP" in
  open)
    # Word splitting of $RULE is intended: it is a list of iptables arguments.
    # shellcheck disable=SC2086
    if ! iptables -w -C "$CHAIN" $RULE 2>/dev/null; then
      if iptables -w -N "$CHAIN" 2>/dev/null; then
        iptables -w -A "$CHAIN" -j RETURN
        iptables -w -I INPUT -j "$CHAIN"
      fi
      # shellcheck disable=SC2086
      iptables -w -I "$CHAIN" $RULE
      save
    fi
    ;;
  close)
    # shellcheck disable=SC2086
    if iptables -w -C "$CHAIN" $RULE 2>/dev/null; then
      # shellcheck disable=SC2086
      iptables -w -D "$CHAIN" $RULE
      save
    fi
    ;;
  check)
    if [[ -z $(iptables -w -S "$CHAIN" | grep " $PORT ") ]]; then
      echo "Port $PORT open: true"
    else
      echo "Port $PORT open: false"
    fi
    ;;
  *)
    echo "Usage: $0 {open|close|check} {port} {protocol}" 1>&2
    exit 1
    ;;
esac

exit 0
