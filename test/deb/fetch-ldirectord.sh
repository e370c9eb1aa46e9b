#!/usr/bin/env bash
# Puts Debian's ldirectord .deb (the version apt installs) into DIR for test/deb/upgrade.sh's phase B:
# from apt's cache when it is there, else `apt-get download`. Idempotent.
set -euo pipefail
dir=${1:-build/upstream}
mkdir -p "$dir"
ver=$(apt-cache policy ldirectord | sed -n 's/^ *Candidate: //p')
[[ -n $ver && $ver != "(none)" ]] || { echo "fetch-ldirectord: apt knows no ldirectord (apt-get update?)" >&2; exit 1; }
file="ldirectord_${ver//:/%3a}_all.deb"
[[ -f $dir/$file ]] && exit 0
rm -f "$dir"/ldirectord_*.deb
if [[ -f /var/cache/apt/archives/$file ]]; then
  cp "/var/cache/apt/archives/$file" "$dir/"
else
  (cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "ldirectord=$ver")
fi
ls "$dir/$file" >/dev/null
