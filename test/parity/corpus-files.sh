#!/usr/bin/env bash
# Lists the corpus files upstream accepts (VERDICTS.md "accept" rows), as absolute paths; nothing when absent.
corpus=${1:-../shared/corpus}
[[ -f $corpus/VERDICTS.md ]] || exit 0
dir=$(cd "$corpus" && pwd)
sed -n 's/^| \([0-9][0-9][0-9]-[^ |]*\) | accept |.*/\1/p' "$corpus/VERDICTS.md" | while read -r f; do
  [[ -f $dir/$f ]] && echo "$dir/$f"
done
