#!/usr/bin/env bash
# Fails if a public attribute or rule name declared in the rules' .bzl files is missing from README.md.
# Usage: readme_test.sh README.md FILE.bzl...
set -euo pipefail
readme=$1; shift
missing=0
checked=0
for bzl in "$@"; do
  # Attribute names: `"name": attr.xxx(` in attrs dicts.
  # Rule names: `name = rule(` / `name = repository_rule(`, public names only.
  names=$( { grep -oE '"[a-z][a-z0-9_]*": *attr\.' "$bzl" || true; } | sed -E 's/"([a-z0-9_]+)".*/\1/'
           { grep -oE '^[a-z][a-z0-9_]* = (rule|repository_rule)\(' "$bzl" || true; } | sed -E 's/ = .*//')
  names=$(printf '%s\n' $names | sort -u)
  for n in $names; do
    checked=$((checked + 1))
    # Documented means named in backticks (`name`) or as a section heading (### name).
    if ! grep -qE "\`${n}\`|^###+ ${n}([^a-z0-9_]|$)" "$readme"; then
      echo "README.md does not mention \`$n\` (declared in ${bzl##*/})"
      missing=$((missing + 1))
    fi
  done
done
if (( checked == 0 )); then
  echo "no attributes found in $*: the test is not reading the .bzl files"
  exit 1
fi
echo "checked $checked names, $missing missing"
(( missing == 0 ))
