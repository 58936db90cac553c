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
containerd_version=$(sed -n 's/^\tgithub.com\/containerd\/containerd\/v2 \(v[0-9.]*\).*/\1/p' "$here/build-containerd/go.mod")
out="$repo/.cache/realnode/$release/bin"
mkdir -p "$out"
echo "realnode: building Kubernetes $release (etcd $etcd_version, containerd $containerd_version) with $("$go" version | cut -d' ' -f3) into ${out#"$repo"/}"
minor=${release#v1.}; minor=${minor%%.*}
version_flags="-X k8s.io/component-base/version.gitVersion=$release -X k8s.io/component-base/version.gitMajor=1"
version_flags+=" -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
version_flags+=" -X k8s.io/client-go/pkg/version.gitVersion=$release -X k8s.io/client-go/pkg/version.gitMajor=1"
version_flags+=" -X k8s.io/client-go/pkg/version.gitMinor=$minor"
build() { # module-folder name package [ldflags [tags]]
  local module=$1 name=$2 package=$3 flags=${4:-} tags=${5:-}
  if [ -x "$out/$name" ]; then echo "realnode: $name is built (cached)"; return; fi
  local start=$SECONDS
  (cd "$here/$module" && CGO_ENABLED=0 GOFLAGS=-mod=mod "$go" build -trimpath -tags "$tags" -ldflags "-s -w $flags" -o "$out/$name.partial" "$package")
  mv "$out/$name.partial" "$out/$name"
  echo "realnode: built $name in $((SECONDS - start)) s"
}
build build etcd go.etcd.io/etcd/server/v3
for component in kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl; do
  build build "$component" "k8s.io/kubernetes/cmd/$component" "$version_flags"
done
# containerd 2.x (Kubernetes 1.36 is the last release to support containerd 1.x; the CRI of 2.x reports each
# container's user, which the kubelet passes on as status.containerStatuses[].user). runc stays Debian's.
containerd_flags="-X github.com/containerd/containerd/v2/version.Version=$containerd_version"
for component in containerd containerd-shim-runc-v2 ctr; do
  build build-containerd "$component" "github.com/containerd/containerd/v2/cmd/$component" "$containerd_flags" "no_btrfs no_devmapper no_zfs"
done
echo "realnode: all binaries ready"
