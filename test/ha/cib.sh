#!/usr/bin/env bash
# Turns test/ha/*.crm (crm shell commands, as in the README) into CIB XML fragments, on the host:
# crmsh runs offline against a file (CIB_file), since in the emulated guest one `crm` call takes a
# minute. The guest loads the fragments with cibadmin (test/ha/ha.sh cib_load).
#
# Usage: test/ha/cib.sh OUTDIR    writes OUTDIR/LAYOUT.SECTION.xml for each test/ha/LAYOUT.crm
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:?usage: test/ha/cib.sh OUTDIR}
command -v crm >/dev/null || { echo "cib: crm (apt package crmsh) missing: make setup" >&2; exit 2; }
mkdir -p "$out"
for crm in "$here"/*.crm; do
  layout=$(basename "$crm" .crm)
  cib=$out/$layout.cib.xml
  cibadmin --empty >"$cib"
  sed "s|@LDIRECTORD@|$repo/bin/ldirectord|g" "$crm" >"$out/$layout.crm"
  # crmsh warns that an offline CIB has no quorum and no nodes: true, and irrelevant here.
  if ! CIB_file=$cib crm configure load update "$out/$layout.crm" >"$out/$layout.crm.log" 2>&1 ||
    ! grep -q '<primitive' "$cib"; then
    echo "cib: crm could not load $crm:" >&2
    cat "$out/$layout.crm.log" >&2
    exit 1
  fi
  for section in crm_config resources constraints rsc_defaults op_defaults; do
    xmllint --xpath "/cib/configuration/$section" "$cib" >"$out/$layout.$section.xml" 2>/dev/null ||
      echo "<$section/>" >"$out/$layout.$section.xml"
  done
done
