/** Starts an ApiServer for a test, writes its kubeconfig, and builds real client-node clients per user. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Status } from '../../../cluster/api/status';
import { ApiServer, type ApiServerOptions } from '../../../cluster/api/server';

export type User = 'admin' | 'viewer' | 'debugger';

export interface TestApi {
  server: ApiServer;
  url: string;
  kubeconfigPath: string;
  logLines: string[];
  kubeConfig(user?: User): KubeConfig;
  core(user?: User): CoreV1Api;
  stop(): Promise<void>;
}

export async function startApi(options: ApiServerOptions = {}): Promise<TestApi> {
  const dir = await mkdtemp(join(tmpdir(), 'api-test-'));
  const logLines: string[] = [];
  const server = new ApiServer({ log: (l) => logLines.push(l), ...options });
  const { url } = await server.start(0);
  const kubeconfigPath = join(dir, 'kubeconfig');
  await server.writeKubeconfig(kubeconfigPath);
  const kubeConfig = (user: User = 'admin') => {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    kc.setCurrentContext(`loopback-${user}`);
    return kc;
  };
  return {
    server, url, kubeconfigPath, logLines, kubeConfig,
    core: (user: User = 'admin') => kubeConfig(user).makeApiClient(CoreV1Api),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The metav1.Status of a failed client-node call. */
export async function statusOf(p: Promise<unknown>): Promise<Status> {
  try {
    await p;
  } catch (e) {
    const body = (e as { body?: unknown }).body;
    return (typeof body === 'string' ? JSON.parse(body) : body) as never;
  }
  throw new Error('expected the call to fail');
}

export function simplePod(name: string, extra: Partial<V1Pod['spec']> = {}): V1Pod {
  return { metadata: { name, labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'busybox:1.36' }], ...extra } };
}

/** Raw HTTPS request with an explicit token (for cases the client libraries cannot express). */
export async function rawRequest(api: TestApi, method: string, path: string, opts: { token?: string | null; body?: string; contentType?: string } = {}) {
  const { request } = await import('node:https');
  const kc = api.kubeConfig('admin');
  const ca = Buffer.from(kc.getCurrentCluster()!.caData!, 'base64');
  const token = opts.token === undefined ? api.server.tokens.admin : opts.token;
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request(`${api.url}${path}`, {
      method, ca,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(opts.contentType ? { 'Content-Type': opts.contentType } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
