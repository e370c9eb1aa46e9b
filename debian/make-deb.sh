#!/usr/bin/env bash
# `make deb`: builds the .deb with dpkg-buildpackage in a scratch copy of the work tree,
# collects the artifacts in OUT (default build/deb) and fails on lintian errors.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/deb}
version=$(dpkg-parsechangelog -S Version)
src=$out/src/ldirectord-ng-$version

rm -rf "$out"
mkdir -p "$src"
# Tracked and new (not ignored) files: what a clone plus the current edits would hold.
git ls-files -z -co --exclude-standard | xargs -0 -r cp -a --parents -t "$src" 2>/dev/null ||
  git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
    [[ -e $f || -L $f ]] && cp -a --parents "$f" "$src"
  done
# The installed dependencies travel too: the package prunes them, it never downloads.
cp -a node_modules "$src/"
# It is an installed tree: .ci/setup inside the build must not run npm ci again.
touch "$src/node_modules/.ldirectord-ng-setup"

(cd "$src" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1 || {
  tail -n 40 "$out/build.log" >&2
  echo "make deb: dpkg-buildpackage failed; full log in $out/build.log" >&2
  exit 1
}
mv "$out"/src/*.deb "$out"/src/*.buildinfo "$out"/src/*.changes "$out"/
rm -rf "$out/src"

deb=$(ls "$out"/ldirectord-ng_*.deb)
echo "make deb: built $deb ($(du -h "$deb" | cut -f1))"
# Errors fail the build; warnings and info are shown for the record.
lintian --fail-on error --no-tag-display-limit "$deb" | tee "$out/lintian.txt"
echo "make deb: lintian: $(grep -c '^E:' "$out/lintian.txt" || true) errors, $(grep -c '^W:' "$out/lintian.txt" || true) warnings"
