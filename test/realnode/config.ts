/**
 * What the real node's components are told: file contents and flags, as pure functions of the layout.
 * Flags follow kubernetes/kubernetes hack/local-up-cluster.sh, trimmed to what a single test node needs
 * (no DNS, no kube-proxy, no cloud provider).
 */
import { stringify } from 'yaml';
import { ROLES } from '../cluster/api/rbac';

export const NODE_NAME = 'realnode';
/** The network namespace the node (containerd, kubelet, CNI bridge, pods) lives in. */
export const NETNS = 'ephemeral-debug-realnode';
/** Every pod cgroup lives under this cgroup root, in every hierarchy. */
export const CGROUP_ROOT = '/ephemeral-debug-realnode';
/** veth between the machine's namespace (host side) and the node's; the addresses exist only on this link. */
export const HOST_LINK = { device: 'edrn-host', address: '10.250.0.1', prefix: 30 };
export const NODE_LINK = { device: 'eth0', address: '10.250.0.2', prefix: 30 };
export const POD_SUBNET = '10.244.0.0/24';
export const SERVICE_RANGE = '10.96.0.0/24';
/** The kube-dns Service address pods are told about; no DNS server runs (no CoreDNS, no kube-proxy). */
export const CLUSTER_DNS = '10.96.0.10';
export const CNI_NETWORK = 'ephemeral-debug-realnode';
/** Inside the node's namespace the API server is reached on this loopback port, bridged to the real one. */
export const NODE_API_PORT = 6443;
export const USERS = ['admin', 'viewer', 'debugger'] as const;
export type RealNodeUser = typeof USERS[number];

export interface Layout {
  repo: string;
  bin: string;
  run: string;
  pki: string;
  logs: string;
  etcdData: string;
  containerdRoot: string;
  containerdState: string;
  containerdSocket: string;
  containerdConfig: string;
  runcRoot: string;
  cniConfDir: string;
  cniDataDir: string;
  kubeletRoot: string;
  kubeletConfig: string;
  podLogs: string;
  resolvConf: string;
  apiBridgeSocket: string;
  state: string;
  /** The users' kubeconfig (admin, viewer, debugger contexts). */
  kubeconfig: string;
}

export function containerdConfig(layout: Layout): string {
  // containerd 2.x config version 3. netns_mounts_under_state_dir keeps pod network namespaces inside our
  // state directory, so that clean-up finds every one of them. NRI is off: its socket would be machine-wide.
  return `version = 3
root = ${JSON.stringify(layout.containerdRoot)}
state = ${JSON.stringify(layout.containerdState)}
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = ${JSON.stringify(layout.containerdSocket)}

[ttrpc]
  address = ${JSON.stringify(`${layout.containerdSocket}.ttrpc`)}

[plugins."io.containerd.internal.v1.opt"]
  path = ${JSON.stringify(`${layout.containerdRoot}/opt`)}

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "registry.k8s.io/pause:3.10"

[plugins."io.containerd.cri.v1.runtime"]
  # This machine's sandbox has no CAP_SYS_RESOURCE: nobody may lower an oom_score_adj (the pause container's
  # -998 made runc fail). Keep every container's at or above containerd's own, as rootless set-ups do.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_cdi = false
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = ${JSON.stringify(layout.runcRoot)}
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = ${JSON.stringify(layout.cniConfDir)}
    max_conf_num = 1
`;
}

export function cniConfig(layout: Layout): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: CNI_NETWORK,
    plugins: [
      {
        type: 'bridge', bridge: 'edrn-cni0', isGateway: true, ipMasq: false, hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: POD_SUBNET }]], dataDir: layout.cniDataDir },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  }, null, 2);
}

export function kubeletConfig(layout: Layout, pki: { ca: string; cert: string; key: string }): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: NODE_LINK.address,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    tlsCertFile: pki.cert,
    tlsPrivateKeyFile: pki.key,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: pki.ca } },
    authorization: { mode: 'Webhook' },
    containerRuntimeEndpoint: `unix://${layout.containerdSocket}`,
    imageServiceEndpoint: `unix://${layout.containerdSocket}`,
    // cgroup v1 here: kubelet 1.35+ refuses it unless told (KEP-5573). containerd 1.6 does not report its cgroup
    // driver, so the kubelet's own setting is used.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: CGROUP_ROOT,
    failSwapOn: false,
    // Pods get a cluster's resolv.conf (ClusterFirst) naming a DNS Service address that nothing serves and that
    // no route reaches from the node's namespace: lookups fail at once and nothing leaves the machine.
    clusterDNS: [CLUSTER_DNS],
    clusterDomain: 'cluster.local',
    resolvConf: layout.resolvConf,
    podLogsDir: layout.podLogs,
    serializeImagePulls: false,
    // The machine's disk is shared with builds: evict only when it is really full.
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    registerNode: true,
    rotateCertificates: false,
    serverTLSBootstrap: false,
    protectKernelDefaults: false,
    makeIPTablesUtilChains: false,
    shutdownGracePeriod: '0s',
    nodeStatusUpdateFrequency: '4s',
    syncFrequency: '10s',
    fileCheckFrequency: '20s',
  });
}

export function clientKubeconfig(server: string, caFile: string, credentials: { cert: string; key: string }, user: string): string {
  return stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'realnode', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: user, user: { 'client-certificate': credentials.cert, 'client-key': credentials.key } }],
    contexts: [{ name: user, context: { cluster: 'realnode', user } }],
    'current-context': user,
  });
}

/** The kubeconfig handed to the extension and the tests: tokens inline, one context per user. */
export function usersKubeconfig(server: string, caPem: string, tokens: Record<RealNodeUser, string>): string {
  return stringify({
    apiVersion: 'v1', kind: 'Config', preferences: {},
    clusters: [{ name: 'realnode', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: USERS.map((u) => ({ name: `realnode-${u}`, user: { token: tokens[u] } })),
    contexts: USERS.map((u) => ({ name: `realnode-${u}`, context: { cluster: 'realnode', user: `realnode-${u}`, namespace: 'default' } })),
    'current-context': 'realnode-admin',
  });
}

/** kube-apiserver's static token file: the same users and groups as the loopback cluster's. */
export function tokenFile(tokens: Record<RealNodeUser, string>): string {
  const groups: Record<RealNodeUser, string> = { admin: 'system:masters', viewer: 'loopback:viewers', debugger: 'loopback:debuggers' };
  return USERS.map((u) => `${tokens[u]},${u},realnode-${u},"${groups[u]}"`).join('\n') + '\n';
}

/** The loopback's RBAC roles (test/cluster/api/rbac.ts) as ClusterRoles and bindings, so both clusters grant the same. */
export function rbacManifest(): string {
  const docs: object[] = [];
  for (const user of ['viewer', 'debugger'] as const) {
    const { role, rules } = ROLES[user];
    docs.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: role }, rules });
    docs.push({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: role },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    });
  }
  // The API server calls the kubelet as this user (exec, attach, port-forward, logs); the kubelet asks back.
  docs.push({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'realnode-apiserver-kubelet-client' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:kubelet-api-admin' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'kube-apiserver-kubelet-client' }],
  });
  return docs.map((d) => stringify(d)).join('---\n');
}
