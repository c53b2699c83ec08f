#!/usr/bin/env bash
# Pushes one image built by Bazel: the manifest by digest first, then each tag (written by oci_push).
set -euo pipefail

runfiles="${RUNFILES_DIR:-$0.runfiles}"
resolve() {  # a runfiles short path -> a path
  case "$1" in
    ../*) echo "$runfiles/${1#../}" ;;
    *) echo "$runfiles/{workspace}/$1" ;;
  esac
}
slipway=$(resolve "{slipway}")
layout=$(resolve "{layout}")
digest=$(tr -d '[:space:]' < "$(resolve "{digest}")")

repository="{repository}"
tags=({tags})
extra=()
usage() {
  echo "usage: bazel run {label} -- [--repository HOST/REPO] [--tag TAG]... [--insecure-registry HOST] [--config FILE]" >&2
  exit 2
}
while (( $# > 0 )); do
  case "$1" in
    -r|--repository) (( $# >= 2 )) || usage; repository=$2; shift 2 ;;
    --repository=*) repository=${1#*=}; shift ;;
    -t|--tag) (( $# >= 2 )) || usage; tags+=("$2"); shift 2 ;;
    --tag=*) tags+=("${1#*=}"); shift ;;
    --insecure-registry|--config) (( $# >= 2 )) || usage; extra+=("$1" "$2"); shift 2 ;;
    -h|--help) usage ;;
    *) echo "oci_push: unknown argument \`$1\`" >&2; usage ;;
  esac
done
if [[ -z $repository ]]; then
  echo "oci_push: no repository: set \`repository\` on {label} or pass --repository HOST/REPO" >&2
  exit 2
fi
if [[ ${repository##*/} == *:* || $repository == *@* ]]; then
  echo "oci_push: --repository \`$repository\` must not carry a tag or digest; give tags with --tag" >&2
  exit 2
fi

# By digest first: the registry has the whole image before any tag points at it.
pushed=$("$slipway" push --progress quiet "${extra[@]}" "oci:$layout:latest" "$repository@$digest" | tail -n 1)
if [[ $pushed != "$digest" ]]; then
  echo "oci_push: pushed $repository but the registry reports $pushed, expected $digest" >&2
  exit 1
fi
echo "$repository@$digest"
for tag in "${tags[@]}"; do
  # Same registry and repository: only the manifest is written again, under the tag.
  "$slipway" copy --progress quiet "${extra[@]}" "$repository@$digest" "$repository:$tag" >/dev/null
  echo "$repository:$tag"
done
