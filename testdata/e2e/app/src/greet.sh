#!/bin/sh
# greet: the "application". `greet NAME...` prints one greeting per name; GREET_STYLE=shout
# prints it in capitals; no name is a usage error (exit 2).
set -eu

greeting() {
  case "${GREET_STYLE:-plain}" in
    plain) printf 'hello, %s\n' "$1" ;;
    shout) printf 'HELLO, %s!\n' "$1" | tr '[:lower:]' '[:upper:]' ;;
    *) echo "greet: unknown GREET_STYLE \`$GREET_STYLE\`" >&2; return 2 ;;
  esac
}

if [ "$#" -eq 0 ]; then
  echo "usage: greet NAME..." >&2
  exit 2
fi
for name in "$@"; do
  greeting "$name"
done
