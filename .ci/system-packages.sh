#!/usr/bin/env bash
# Install the Debian packages the test suite runs for real (Alertmanager, Prometheus,
# sshd, Chromium, git). Idempotent: only missing binaries trigger apt-get, and
# `apt-get update` runs at most once. Services these packages would normally start are
# blocked with a temporary policy-rc.d and stopped afterwards, because the tests start
# their own instances on free loopback ports and must not find port 22/9090/9093 taken.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

# binary -> package
declare -A PACKAGES=(
  [/usr/bin/prometheus-alertmanager]=prometheus-alertmanager
  [/usr/bin/prometheus]=prometheus
  [/usr/sbin/sshd]=openssh-server
  [/usr/bin/ssh-keygen]=openssh-client
  [/usr/bin/chromium]=chromium
  [/usr/bin/git]=git
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

missing=()
for binary in "${!PACKAGES[@]}"; do
  if [ ! -x "$binary" ]; then
    missing+=("${PACKAGES[$binary]}")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "system-packages: installing ${missing[*]}"
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    # exit 101 = "action forbidden": invoke-rc.d will not start services during install.
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    created_policy=1
  fi
  cleanup() {
    if [ "$created_policy" -eq 1 ]; then
      $SUDO rm -f "$policy"
    fi
  }
  trap cleanup EXIT

  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

  cleanup
  trap - EXIT
fi

# Belt and braces: whatever started anyway (systemd hosts ignore policy-rc.d for some
# paths) is stopped and disabled so it cannot hold the ports the tests want.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  for unit in ssh prometheus prometheus-alertmanager prometheus-node-exporter; do
    if systemctl is-active --quiet "$unit" 2>/dev/null; then
      $SUDO systemctl stop "$unit" || true
    fi
    $SUDO systemctl disable "$unit" >/dev/null 2>&1 || true
  done
fi

# sshd refuses to start without its privilege separation directory.
$SUDO mkdir -p /run/sshd
$SUDO chmod 0755 /run/sshd

# First line of each tool's version output; sed reads everything, so no SIGPIPE under
# pipefail. sshd has no --version flag: `-V` prints the OpenSSH version.
version() { "$@" 2>&1 | sed -n 1p; }
echo "system-packages: versions"
version /usr/bin/prometheus-alertmanager --version
version /usr/bin/prometheus --version
version /usr/sbin/sshd -V
# The Debian launcher script prints a harmless shell warning on stderr; keep it out.
/usr/bin/chromium --version 2>/dev/null | sed -n 1p
version /usr/bin/git --version
