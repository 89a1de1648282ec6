# Shared by bench/run.sh and bench/multinode.sh (sourced, not run).

# free_port NAME: a random loopback port nothing listens on, below the
# kernel's ephemeral range (32768-60999): a port an outgoing connection holds
# is free to connect to but not to bind. A server started on it may still
# lose a race and fails loudly then. NAME is the caller, for the error.
free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  echo "${1:-bench}: no free port found" >&2; return 1
}
