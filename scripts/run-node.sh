#!/usr/bin/env bash
# Builds Atrium and starts a node in the foreground with the built-in defaults
# (root /var/lib/atrium, state /run/atrium, CRI socket /run/atrium/atrium.sock).
# Extra arguments go to `atrium run` (for example --root DIR --state DIR).
#
# Pod networking: the Debian package containernetworking-plugins provides the CNI plugins
# (in /usr/lib/cni). If /etc/cni/net.d holds no network config yet, this writes
# /etc/cni/net.d/10-atrium.conflist: bridge atrium0 with pods on 10.77.0.0/16 (host-local
# addresses, gateway 10.77.0.1, outbound traffic masqueraded), portmap for hostPorts, bandwidth
# for the kubernetes.io/{ingress,egress}-bandwidth annotations, loopback. An existing config is
# never touched; delete the file to get the default back.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

cni_dir=/etc/cni/net.d
if ! ls "$cni_dir"/*.conflist "$cni_dir"/*.conf "$cni_dir"/*.json >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    mkdir -p "$cni_dir"
    tmp=$(mktemp "$cni_dir/.10-atrium.conflist.XXXXXX")
    cat > "$tmp" <<'CONF'
{
  "cniVersion": "1.0.0",
  "name": "atrium",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "atrium0",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "10.77.0.0/16", "gateway": "10.77.0.1" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "bandwidth", "capabilities": { "bandwidth": true } },
    { "type": "loopback" }
  ]
}
CONF
    chmod 0644 "$tmp"
    mv "$tmp" "$cni_dir/10-atrium.conflist"   # renamed into place so the node never reads half a file
    echo "wrote the default pod network $cni_dir/10-atrium.conflist (bridge atrium0, 10.77.0.0/16)" >&2
  else
    echo "no CNI config in $cni_dir and not root: pods get loopback only (NetworkReady=false)" >&2
  fi
fi

mvn -B -q -DskipTests install
version=$(mvn -B -q help:evaluate -Dexpression=project.version -DforceStdout 2>/dev/null || echo 0.1.0-SNAPSHOT)
home="distribution/target/atrium-${version}/atrium-${version}"
exec "$home/bin/atrium" run "$@"
