#!/usr/bin/env bash
# Installs the Debian packages named on the command line that are not installed and configured
# (`make deps`). A package that dpkg has unpacked but not configured counts as missing.
#
# A fresh machine often runs unattended upgrades at boot: while another apt or dpkg process holds
# the package lock, apt fails at once ("Could not get lock /var/lib/dpkg/lock-frontend"). This
# script then says which process it waits for and tries again, for up to FUTURA_DEPS_LOCK_TIMEOUT
# seconds (default 900), and carries on when the lock is free. If dpkg was interrupted, it runs
# `dpkg --configure -a` first, as apt asks.
#
# FUTURA_DEPS_FORCE=1 treats every package as missing and skips `apt-get update` (no network
# needed: apt only checks that they are installed); test/deps/apt_lock_test.sh uses it.
set -uo pipefail

timeout=${FUTURA_DEPS_LOCK_TIMEOUT:-900}
deadline=$(( $(date +%s) + timeout ))

missing=()
for p in "$@"; do
  if [[ "${FUTURA_DEPS_FORCE:-0}" == 1 ]] ||
     ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then SUDO=(sudo); fi

lock_pattern='Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock|is another process using it'

# Runs apt-get or dpkg with "$@"; while it fails because another process holds a lock, waits and
# retries until the deadline. Prints the command's output; returns its status.
with_lock_retry() {
  local out status last_note=0 now holder
  while :; do
    out=$("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@" 2>&1)
    status=$?
    if [[ $status -eq 0 ]] || ! grep -Eq "$lock_pattern" <<<"$out"; then
      [[ -n "$out" ]] && printf '%s\n' "$out"
      return $status
    fi
    now=$(date +%s)
    if (( now >= deadline )); then
      printf '%s\n' "$out" >&2
      echo "futura: gave up after ${timeout} s waiting for the apt/dpkg lock (FUTURA_DEPS_LOCK_TIMEOUT)" >&2
      return $status
    fi
    if (( now - last_note >= 30 )); then
      holder=$(grep -Eo 'held by process [0-9]+( \([^)]*\))?' <<<"$out" | head -n 1)
      echo "futura: waiting for the apt/dpkg lock, which another process holds${holder:+ (${holder})}:" \
           "up to $(( deadline - now )) s more before \`$1 ${2:-}\`" >&2
      last_note=$now
    fi
    sleep 2
  done
}

echo "futura: installing Debian packages: ${missing[*]}"
if [[ "${FUTURA_DEPS_FORCE:-0}" != 1 ]]; then
  with_lock_retry apt-get update -qq || exit 1
fi
for attempt in 1 2; do
  out=$(with_lock_retry apt-get install -y -qq --no-install-recommends "${missing[@]}")
  status=$?
  [[ -n "$out" ]] && printf '%s\n' "$out"
  [[ $status -eq 0 ]] && exit 0
  # An interrupted dpkg (a package unpacked, not configured) must be finished first.
  if [[ $attempt -eq 1 ]] && grep -q "dpkg was interrupted" <<<"$out"; then
    echo "futura: dpkg was interrupted; running dpkg --configure -a"
    with_lock_retry dpkg --configure -a || exit 1
    continue
  fi
  exit $status
done
