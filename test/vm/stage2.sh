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
if cd -- "$VM_CWD" 2>/dev/null; then
  # bash (not exec): PID 1 must survive to record the status and power off.
  /bin/bash /run/vm/cmd.sh </dev/null >/dev/vm.stdout 2>/dev/vm.stderr
  status=$?
else
  echo "vm: working directory $VM_CWD does not exist in the guest" >/dev/vm.stderr
fi
echo "$status" >/run/vm/exitcode.tmp && mv /run/vm/exitcode.tmp /run/vm/exitcode
sync
exec /bin/busybox poweroff -f
