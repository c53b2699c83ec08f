#!/bin/sh
# Unit tests of greet, run by the Dockerfile's `test` stage: `greet_test.sh PATH_TO_GREET`.
# Prints one line per case and exits 1 when any case fails, which fails the RUN and the build.
greet=$1
failed=0

check() {  # check NAME EXPECTED_STATUS EXPECTED_OUTPUT -- COMMAND...
  name=$1 want_status=$2 want=$3
  shift 4
  got=$("$@" 2>&1)
  status=$?
  if [ "$status" = "$want_status" ] && [ "$got" = "$want" ]; then
    echo "ok   $name"
  else
    echo "FAIL $name: status $status (want $want_status), output [$got] (want [$want])"
    failed=1
  fi
}

check "one name" 0 "hello, world" -- "$greet" world
check "two names" 0 "hello, a
hello, b" -- "$greet" a b
check "shout" 0 "HELLO, CI!" -- env GREET_STYLE=shout "$greet" ci
check "no name is a usage error" 2 "usage: greet NAME..." -- "$greet"
check "unknown style" 2 "greet: unknown GREET_STYLE \`x\`" -- env GREET_STYLE=x "$greet" y

if [ "$failed" -ne 0 ]; then
  echo "greet_test: unit tests FAILED"
  exit 1
fi
echo "greet_test: all unit tests passed"
