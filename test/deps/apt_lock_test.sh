#!/usr/bin/env bash
# `make deps` on a machine busy with apt: while another process holds dpkg's frontend lock,
# scripts/install-deps.sh must say that it waits, wait, and succeed once the lock is free.
#
# A Python process takes the lock as apt does (a POSIX lock on /var/lib/dpkg/lock-frontend) and
# holds it until the script has printed that it waits; then it lets go. The script runs with
# FUTURA_DEPS_FORCE=1 on a package that is installed, so apt only checks it (no network).
# Needs root, apt and python3; skipped (77) otherwise. Every wait is bounded.
set -uo pipefail
script="$1"

if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null || ! command -v python3 >/dev/null; then
  echo "apt_lock_test: needs root, apt-get and python3: skipped"
  exit 77
fi

work=$(mktemp -d)
trap 'kill "$holder" 2>/dev/null; rm -rf "$work"' EXIT

# The holder: takes the lock, says so, and keeps it until the file "release" exists (or 120 s).
python3 - "$work/release" >"$work/holder.out" 2>&1 <<'PY' &
import fcntl, os, sys, time
fd = os.open("/var/lib/dpkg/lock-frontend", os.O_RDWR | os.O_CREAT, 0o640)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("locked", flush=True)
for _ in range(1200):
    if os.path.exists(sys.argv[1]):
        break
    time.sleep(0.1)
print("released", flush=True)
PY
holder=$!

for _ in $(seq 600); do grep -q locked "$work/holder.out" 2>/dev/null && break; sleep 0.1; done
grep -q locked "$work/holder.out" || { echo "apt_lock_test: the holder never took the lock"; exit 1; }

FUTURA_DEPS_FORCE=1 FUTURA_DEPS_LOCK_TIMEOUT=120 bash "$script" coreutils >"$work/deps.out" 2>&1 &
deps=$!

# Wait (bounded) until the script says it waits for the lock, then release it.
for _ in $(seq 1200); do grep -q "waiting for the apt/dpkg lock" "$work/deps.out" && break; sleep 0.1; done
if ! grep -q "waiting for the apt/dpkg lock" "$work/deps.out"; then
  echo "apt_lock_test: install-deps.sh never said it was waiting for the lock:"; cat "$work/deps.out"
  kill "$deps" 2>/dev/null
  exit 1
fi
grep -q "held by process $holder" "$work/deps.out" || { echo "apt_lock_test: the message does not name the holder:"; cat "$work/deps.out"; exit 1; }
touch "$work/release"
wait "$holder"

wait "$deps"
status=$?
cat "$work/deps.out"
if [[ $status -ne 0 ]]; then
  echo "apt_lock_test: install-deps.sh failed ($status) after the lock was released"
  exit 1
fi
echo "apt_lock_test: waited for the lock, then installed"
