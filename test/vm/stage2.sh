#!/bin/bash
# Stage 2 of the rig's guest: the host's bash as PID 1 runs the caller's command, records its status, powers off.
#
# test/vm/run copies this file into the run directory, seen here as /run/vm. PID 1 starts with
# the kernel's environment; we drop it and take exactly what the host wrote to vm.conf.

# Forget the kernel-provided environment (HOME=/, TERM=linux, …).
while read -r v; do unset "$v"; done < <(compgen -e)
# shellcheck disable=SC1091
source /run/vm/vm.conf

: >/run/vm/t_cmd
status=125
in=/dev/null
if [[ ${VM_STDIN:-0} == 1 ]]; then
  # init links every port it finds but waits only for stdout/stderr; give stdin a moment.
  for ((i = 0; i < 200; i++)); do
    [[ -e /dev/vm.stdin ]] && break
    for p in /sys/class/virtio-ports/*; do
      [[ $(cat "$p/name" 2>/dev/null) == vm.stdin ]] && ln -sf "${p##*/}" /dev/vm.stdin
    done
    [[ -e /dev/vm.stdin ]] || sleep 0.05
  done
  in=/dev/vm.stdin
fi
if cd -- "$VM_CWD" 2>/dev/null; then
  # bash (not exec): PID 1 must survive to record the status and power off.
  /bin/bash /run/vm/cmd.sh <"$in" >/dev/vm.stdout 2>/dev/vm.stderr
  status=$?
else
  echo "vm: working directory $VM_CWD does not exist in the guest" >/dev/vm.stderr
fi
echo "$status" >/run/vm/exitcode.tmp && mv /run/vm/exitcode.tmp /run/vm/exitcode
sync
exec /bin/busybox poweroff -f
