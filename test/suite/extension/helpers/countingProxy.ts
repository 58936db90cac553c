/**
 * A TCP relay on 127.0.0.1 in front of the test cluster's API server that counts the connections clients open
 * through it (each one a TCP + TLS handshake), and a KubeConfig whose clusters point at it. The API server is on
 * 127.0.0.1 on both test clusters, so its certificate holds for the relay's address too.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface CountingProxy {
  /** Connections accepted so far. */
  readonly opened: number;
  /** Connections open now. */
  readonly open: number;
  /** `kubeConfig` with every cluster's server replaced by the relay. */
  kubeConfig(kubeConfig: KubeConfig): KubeConfig;
  close(): Promise<void>;
}

export async function startCountingProxy(server: string): Promise<CountingProxy> {
  const target = new URL(server);
  const sockets = new Set<Socket>();
  let opened = 0;
  const relay: Server = createServer((client) => {
    opened++;
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 443) });
    sockets.add(client).add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => relay.once('error', reject).listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(relay.address() as AddressInfo).port}`;
  return {
    get opened() { return opened; },
    get open() { return [...sockets].filter((s) => !s.destroyed).length / 2; },
    kubeConfig(source) {
      const copy = new KubeConfig();
      copy.loadFromOptions({
        clusters: source.clusters.map((c) => ({ ...c, server: url })),
        users: source.users,
        contexts: source.contexts,
        currentContext: source.getCurrentContext(),
      });
      return copy;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}
