#!/usr/bin/env bash
# Bytes opsdeck writes to its terminal over a period, measured with tmux
# pipe-pane (everything the program sends to the pty).
#   benches/idle_bytes.sh [SECONDS]
# Two runs: an idle host (static sources: a mail log nobody writes to, an
# empty queue) and the demo (a live mail log written several times a second).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
cargo build --release -q
bin=$PWD/target/release/opsdeck
work=$(mktemp -d)
trap 'tmux -L opsdeck-idle kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

measure() { # name args...
  local name=$1; shift
  tmux -L opsdeck-idle kill-server 2>/dev/null || true
  tmux -L opsdeck-idle -f /dev/null new-session -d -x 80 -y 24 \
    "env HOME=$work XDG_STATE_HOME=$work TERM=xterm-256color $bin $*; sleep 600"
  sleep 5   # first frame, backfill
  : > "$work/$name.out"
  tmux -L opsdeck-idle pipe-pane -o "cat >> $work/$name.out"
  sleep "$secs"
  tmux -L opsdeck-idle pipe-pane
  local bytes
  bytes=$(stat -c %s "$work/$name.out")
  echo "$name: $bytes bytes in ${secs}s"
  tmux -L opsdeck-idle send-keys q
  sleep 1
}

# An idle host: a mail log that does not change, no queue command output.
mkdir -p "$work/idle"
: > "$work/idle/mail.log"
cat > "$work/idle/config.toml" <<TOML
[mail_log]
files = ["$work/idle/mail.log"]
TOML
measure idle --config "$work/idle/config.toml"
measure demo demo
