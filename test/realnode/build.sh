#!/usr/bin/env bash
# Builds the real node's Kubernetes components (one release, from test/realnode/build/go.mod) into
# .cache/realnode/<release>/bin, once per machine and release. One progress line per binary with its time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# Go 1.26 from the machine; Debian's older golang-go may come first on PATH (the demo's Go app uses it).
go=/usr/local/go/bin/go
[ -x "$go" ] || go=$(command -v go)
release=$(sed -n "s/^[[:space:]]*k8s.io\/kubernetes \(v[0-9.]*\).*/\1/p" "$here/build/go.mod" | head -n 1)
etcd_version=$(sed -n 's/^\tgo.etcd.io\/etcd\/server\/v3 \(v[0-9.]*\).*/\1/p' "$here/build/go.mod")
out="$repo/.cache/realnode/$release/bin"
mkdir -p "$out"
echo "realnode: building Kubernetes $release (etcd $etcd_version) with $("$go" version | cut -d' ' -f3) into ${out#"$repo"/}"
minor=${release#v1.}; minor=${minor%%.*}
version_flags="-X k8s.io/component-base/version.gitVersion=$release -X k8s.io/component-base/version.gitMajor=1"
version_flags+=" -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
version_flags+=" -X k8s.io/client-go/pkg/version.gitVersion=$release -X k8s.io/client-go/pkg/version.gitMajor=1"
version_flags+=" -X k8s.io/client-go/pkg/version.gitMinor=$minor"
build() { # name package [ldflags]
  local name=$1 package=$2 flags=${3:-}
  if [ -x "$out/$name" ]; then echo "realnode: $name is built (cached)"; return; fi
  local start=$SECONDS
  (cd "$here/build" && CGO_ENABLED=0 GOFLAGS=-mod=mod "$go" build -trimpath -ldflags "-s -w $flags" -o "$out/$name.partial" "$package")
  mv "$out/$name.partial" "$out/$name"
  echo "realnode: built $name in $((SECONDS - start)) s"
}
build etcd go.etcd.io/etcd/server/v3
for component in kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl; do
  build "$component" "k8s.io/kubernetes/cmd/$component" "$version_flags"
done
echo "realnode: all binaries ready"
