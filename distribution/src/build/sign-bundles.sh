#!/usr/bin/env bash
# Signs every staged core bundle and stages the signer's certificate as trusted by the node.
#
# By default the build makes its own key (kept in target/, never shipped). A distributor signs
# with its own key instead by setting ATRIUM_SIGNING_KEYSTORE (PKCS12), ATRIUM_SIGNING_ALIAS and
# ATRIUM_SIGNING_PASSWORD.
set -euo pipefail
target=${1:?target directory}
bin=${JAVA_HOME:+$JAVA_HOME/bin/}
staging="$target/staging"
keystore=${ATRIUM_SIGNING_KEYSTORE:-$target/signing/build-signer.p12}
alias=${ATRIUM_SIGNING_ALIAS:-atrium-build}
pass=${ATRIUM_SIGNING_PASSWORD:-atrium-build-key}
if [ -z "${ATRIUM_SIGNING_KEYSTORE:-}" ] && [ ! -f "$keystore" ]; then
  mkdir -p "$(dirname "$keystore")"
  "${bin}keytool" -genkeypair -keystore "$keystore" -storetype PKCS12 -storepass "$pass" -keypass "$pass" \
    -alias "$alias" -keyalg EC -groupname secp256r1 -sigalg SHA256withECDSA -validity 3650 \
    -dname "CN=Atrium build signer $(hostname) $(date -u +%Y%m%dT%H%M%SZ), O=Atrium" >/dev/null
fi
mkdir -p "$staging/trusted-signers"
"${bin}keytool" -exportcert -rfc -keystore "$keystore" -storepass "$pass" -alias "$alias" \
  -file "$staging/trusted-signers/atrium-build.pem" >/dev/null
count=0
for jar in "$staging"/bundles/*.jar; do
  "${bin}jarsigner" -keystore "$keystore" -storetype PKCS12 -storepass "$pass" -keypass "$pass" \
    -sigalg SHA256withECDSA -digestalg SHA-256 "$jar" "$alias" >/dev/null
  count=$((count + 1))
done
echo "signed $count core bundles with $alias"
