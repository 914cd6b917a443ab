#!/usr/bin/env bash
# Records the current build of an API module as its released reference for the bnd baseline
# check. Run it when an API version is released:  scripts/update-api-baseline.sh sandbox-api 1.1.0
set -euo pipefail
cd "$(dirname "$0")/.."
module=${1:?usage: update-api-baseline.sh MODULE VERSION}
version=${2:?usage: update-api-baseline.sh MODULE VERSION}
artifact=atrium-${module}
mvn -B -q -o -DskipTests -Dbnd.baseline.skip=true package -pl "api-bundles/${module}"
jar=$(ls "api-bundles/${module}"/target/"${artifact}"-*.jar | grep -v -- '-sources' | head -1)
repo=api-bundles/baseline-repo
mvn -B -q org.apache.maven.plugins:maven-install-plugin:3.1.4:install-file -Dfile="$jar" \
  -DgroupId=io.atrium -DartifactId="$artifact" -Dversion="$version" -Dpackaging=jar -DlocalRepositoryPath="$repo"
find "$repo" -name _remote.repositories -delete
meta="$repo/io/atrium/$artifact"
[ -f "$meta/maven-metadata-local.xml" ] && mv "$meta/maven-metadata-local.xml" "$meta/maven-metadata.xml"
# Maven caches the reference by version; drop the cached copy so the new one is used.
rm -rf "${HOME}/.m2/repository/io/atrium/${artifact}/${version}"
echo "baseline of ${artifact} is now ${version} (${jar}); set <base><version>${version}</version></base> in its pom"
