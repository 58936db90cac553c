/**
 * A minimal plain-HTTP server on 127.0.0.1 that routes pod exec/attach/portforward upgrades to
 * handleStreamUpgrade, so the streaming code can be tested with the real client-node and kubectl before
 * (and independently of) the real API server. It also answers just enough discovery and pod GETs for
 * `kubectl exec`.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as path from 'node:path';
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { KubeletApi } from '../../../cluster/contracts';
import { handleStreamUpgrade } from '../../../cluster/api/streaming';

export interface StreamingTestServer {
  port: number;
  url: string;
  pods: Map<string, V1Pod>;
  addPod(pod: V1Pod): void;
  kubeConfig(): KubeConfig;
  /** Writes a kubeconfig for kubectl into `dir` and returns its path. */
  writeKubeconfig(dir: string): string;
  /** The Upgrade header of every upgrade request, in order (which transport a client really used). */
  upgrades: string[];
  /** Server-side TCP connections currently open. */
  openConnections(): number;
  close(): Promise<void>;
}

const STREAM_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/;
const POD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/;

function notFound(name: string): string {
  return JSON.stringify({
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `pods "${name}" not found`,
    reason: 'NotFound', details: { name, kind: 'pods' }, code: 404,
  });
}

const DISCOVERY: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
  '/api/v1': {
    kind: 'APIResourceList', groupVersion: 'v1', resources: [
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
      { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'pods/attach', singularName: '', namespaced: true, kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    ],
  },
  '/version': { major: '1', minor: '32', gitVersion: 'v1.32.0-loopback', platform: 'linux/amd64' },
};

export async function startStreamingServer(kubelet: KubeletApi): Promise<StreamingTestServer> {
  const pods = new Map<string, V1Pod>();
  const sockets = new Set<net.Socket>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (code: number, body: string): void => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(body);
    };
    const discovery = DISCOVERY[url.pathname];
    if (req.method === 'GET' && discovery) return send(200, JSON.stringify(discovery));
    const m = POD_PATH.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const pod = pods.get(`${m[1]}/${m[2]}`);
      return pod ? send(200, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...pod })) : send(404, notFound(m[2]));
    }
    send(404, JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 }));
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const upgrades: string[] = [];
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    upgrades.push(String(req.headers.upgrade ?? ''));
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = STREAM_PATH.exec(url.pathname);
    const pod = m ? pods.get(`${m[1]}/${m[2]}`) : undefined;
    if (!m || !pod) {
      const body = notFound(m?.[2] ?? '');
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}` +
        `\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    handleStreamUpgrade(req, socket, head,
      { namespace: m[1], pod, subresource: m[3] as 'exec' | 'attach' | 'portforward', query: url.searchParams }, kubelet);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  const config = {
    clusters: [{ name: 'loopback', server: url, skipTLSVerify: true }],
    users: [{ name: 'tester' }],
    contexts: [{ name: 'loopback', cluster: 'loopback', user: 'tester', namespace: 'default' }],
    currentContext: 'loopback',
  };

  return {
    port,
    url,
    pods,
    addPod(pod) {
      pods.set(`${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`, pod);
    },
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromOptions(config);
      return kc;
    },
    writeKubeconfig(dir) {
      const file = path.join(dir, 'kubeconfig');
      fs.writeFileSync(file, [
        'apiVersion: v1', 'kind: Config', 'current-context: loopback',
        'clusters:', `- name: loopback`, '  cluster:', `    server: ${url}`,
        'contexts:', '- name: loopback', '  context:', '    cluster: loopback', '    user: tester', '    namespace: default',
        'users:', '- name: tester', '  user: {}', '',
      ].join('\n'));
      return file;
    },
    upgrades,
    openConnections: () => sockets.size,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** A pod object as the API server would hand it over (scheduled, running). */
export function testPod(name: string, containers: string[], extra: Partial<{ initContainers: string[]; annotations: Record<string, string>; nodeName: string }> = {}): V1Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, annotations: extra.annotations },
    spec: {
      nodeName: extra.nodeName ?? 'loopback',
      containers: containers.map((c) => ({ name: c, image: 'busybox' })),
      initContainers: extra.initContainers?.map((c) => ({ name: c, image: 'busybox' })),
    },
    status: { phase: 'Running' },
  };
}
