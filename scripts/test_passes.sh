#!/usr/bin/env bash
# Runs passes of `make test` side by side (make test, make test-pythons). Usage:
#   scripts/test_passes.sh [--stream TARGET] TARGET...
# Each TARGET is a Makefile target that runs one pass ($MAKE -o setup TARGET: the caller did the set-up).
# The --stream pass prints its output as it runs. Every other pass writes its output to a log, which is
# printed in full, between two lines naming the pass, once that pass has ended and the streamed pass is
# over (so the two outputs never mix). At most L2_TEST_JOBS passes run at a time (default: the number of
# processors); the streamed pass starts first, the others in the order given. Every pass runs to its end
# whatever the others do; the exit status is 0 only if every pass exited with 0.
set -uo pipefail
cd "$(dirname "$0")/.."
make=${MAKE:-make}

stream=
if [ "${1:-}" = --stream ]; then stream=$2; shift 2; fi
queue=("$@")
all=(${stream:+"$stream"} "$@")
jobs=${L2_TEST_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "test_passes: L2_TEST_JOBS must be a whole number >= 1, got '$jobs'" >&2; exit 2; }

logs=$(mktemp -d "${TMPDIR:-/tmp}/l2book-passes.XXXXXX")
declare -A pid_of start_of status_of took_of
running=()       # targets started and not yet reaped
ended=()         # background targets ended, log not printed yet
cleanup() {
  for t in "${running[@]}"; do kill "${pid_of[$t]}" 2>/dev/null; done
  rm -rf "$logs"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() {   # start target $1; its output to the terminal ($2 = stream) or to its log
  local t=$1
  if [ "${2:-}" = stream ]; then
    $make --no-print-directory -o setup "$t" &
  else
    streaming || echo "make test: $t started (its log follows when it has ended)"
    $make --no-print-directory -o setup "$t" > "$logs/$t.log" 2>&1 < /dev/null &
  fi
  pid_of[$t]=$! start_of[$t]=$SECONDS
  running+=("$t")
}

reap() {    # collect every target that has ended
  local t still=()
  for t in "${running[@]}"; do
    if kill -0 "${pid_of[$t]}" 2>/dev/null; then still+=("$t"); continue; fi
    wait "${pid_of[$t]}"; status_of[$t]=$?
    took_of[$t]=$((SECONDS - ${start_of[$t]}))
    [ "$t" != "$stream" ] && ended+=("$t")
  done
  running=("${still[@]}")
}

streaming() { [ -n "$stream" ] && [ -z "${status_of[$stream]:-}" ]; }

print_ended() {   # print the logs of the background targets that have ended, once nothing streams
  local t
  streaming && return
  for t in "${ended[@]}"; do
    echo "======== make test: $t (log of a pass run in the background) ========"
    cat "$logs/$t.log"
    echo "======== make test: $t $(word "${status_of[$t]}") in ${took_of[$t]} s (exit status ${status_of[$t]}) ========"
  done
  ended=()
}

word() { [ "$1" = 0 ] && echo passed || echo FAILED; }

[ -n "$stream" ] && start "$stream" stream
while [ ${#queue[@]} -gt 0 ] || [ ${#running[@]} -gt 0 ]; do
  while [ ${#queue[@]} -gt 0 ] && [ ${#running[@]} -lt "$jobs" ]; do
    start "${queue[0]}"
    queue=("${queue[@]:1}")
  done
  sleep 1
  reap
  print_ended
done

failed=0
echo "make test: summary"
for t in "${all[@]}"; do
  printf '  %-16s %s in %d s\n' "$t" "$(word "${status_of[$t]}")" "${took_of[$t]}"
  [ "${status_of[$t]}" = 0 ] || failed=1
done
exit $failed
