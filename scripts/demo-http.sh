#!/usr/bin/env bash
# The second half of `make demo`: examples/http_server answering curl (and a short wrk load), then
# stopped by SIGTERM; examples/fetch_many fetching files from Python's http.server. Loopback only;
# every wait is bounded; both servers are stopped on exit, whatever happens.
#
# Usage: scripts/demo-http.sh EXAMPLES_DIR
set -euo pipefail
examples=${1:?usage: demo-http.sh EXAMPLES_DIR}
work=$(mktemp -d)
server_pid= python_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
  [[ -n $python_pid ]] && kill "$python_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Waits (at most 10 s) for a line matching $2 in file $1 and prints its last field's number.
wait_for_port() {
  for _ in $(seq 100); do
    if line=$(grep -m1 -E "$2" "$1" 2>/dev/null); then
      grep -oE '[0-9]+' <<<"${line##*:}" | head -1 || grep -oE 'port [0-9]+' <<<"$line" | grep -oE '[0-9]+'
      return 0
    fi
    sleep 0.1
  done
  echo "demo: no line matching '$2' in $1" >&2
  cat "$1" >&2
  return 1
}

echo "== http_server (examples/http_server.cpp) against curl and wrk"
"$examples/http_server" --port 0 >"$work/server.out" &
server_pid=$!
port=$(wait_for_port "$work/server.out" '^listening on')
url="http://127.0.0.1:$port"
echo "listening on $url"
echo "\$ curl $url/"
curl -sS "$url/"
echo "\$ curl --data-binary 'hello, futura' $url/echo"
curl -sS --data-binary 'hello, futura' "$url/echo"; echo
echo "\$ curl (three requests, one connection): status, new connections"
curl -sS -o /dev/null -o /dev/null -o /dev/null -w '  %{http_code} %{num_connects}\n' "$url/" "$url/echo" "$url/nothing-here"
echo "\$ wrk -t1 -c16 -d2s $url/"
wrk -t1 -c16 -d2s "$url/" | sed 's/^/  /'
kill -TERM "$server_pid"
wait "$server_pid"
server_pid=
sed 's/^/  server: /' "$work/server.out"

echo
echo "== fetch_many (examples/fetch_many.cpp) against python3 -m http.server"
mkdir "$work/files"
paths=()
for i in $(seq -w 1 200); do
  head -c $((10#$i * 97)) /dev/urandom >"$work/files/file-$i.bin"
  paths+=("/file-$i.bin")
done
paths+=("/not-there.bin")
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$work/files" >"$work/python.out" 2>/dev/null &
python_pid=$!
port=$(wait_for_port "$work/python.out" 'Serving HTTP on')
echo "\$ fetch_many --port $port /file-001.bin ... /file-200.bin /not-there.bin"
"$examples/fetch_many" --port "$port" "${paths[@]}"
