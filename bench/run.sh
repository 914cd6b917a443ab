#!/bin/sh
# Runs the whole-node benchmark (as root; containerd from Debian, docker-registry, busybox-static,
# runc and a built distribution tarball are needed). Arguments go to io.atrium.bench.Bench.
set -e
cd "$(dirname "$0")"
mvn -B -q -o package -DskipTests || mvn -B -q package -DskipTests
exec java -Xmx512m -Djava.awt.headless=true -cp "target/classes:target/lib/*" io.atrium.bench.Bench "$@"
