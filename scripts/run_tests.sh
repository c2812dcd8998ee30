#!/bin/sh
# Runs every test binary given, reports each, and fails if any failed.
failed=""
for t in "$@"; do
    echo "== $t"
    if ! "$t"; then failed="$failed $(basename "$t")"; fi
done
if [ -n "$failed" ]; then
    echo "FAILED:$failed" >&2
    exit 1
fi
echo "all $# test programs passed"
