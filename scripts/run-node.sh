#!/usr/bin/env bash
# Builds Atrium and starts a node in the foreground with the built-in defaults
# (root /var/lib/atrium, state /run/atrium, CRI socket /run/atrium/atrium.sock).
# Extra arguments go to `atrium run` (for example --root DIR --state DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
mvn -B -q -DskipTests install
version=$(mvn -B -q help:evaluate -Dexpression=project.version -DforceStdout 2>/dev/null || echo 0.1.0-SNAPSHOT)
home="distribution/target/atrium-${version}/atrium-${version}"
exec "$home/bin/atrium" run "$@"
