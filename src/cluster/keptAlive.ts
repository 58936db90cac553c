/**
 * One kept-alive connection pool per facade (so per context). client-node 2.x builds a new undici dispatcher for
 * every request (KubeConfig.applySecurityAuthentication → createDispatcher), so each call paid a TCP + TLS
 * handshake and left the pool's idle socket behind. This authentication is the KubeConfig's own (headers, TLS
 * material, proxy: all decided by client-node) with one difference: the first dispatcher it builds is kept and
 * given to every later request with the same TLS identity. When the identity changes (an exec credential plugin
 * hands out a new client certificate) the new dispatcher is kept and the old one closed once its requests end.
 * Streams (exec, attach, port-forward, watch) do not go through it.
 */
import { createHash } from 'node:crypto';
import type { RequestOptions } from 'node:https';
import type { KubeConfig, RequestContext, SecurityAuthentication } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

export class KeptAliveAuthentication implements SecurityAuthentication {
  private kept: { readonly identity: string; readonly dispatcher: Dispatcher } | undefined;

  constructor(private readonly kubeConfig: KubeConfig) {}

  getName(): string {
    return 'kubeconfig authentication with a kept-alive connection pool';
  }

  async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.kubeConfig.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    // None: plain HTTP without TLS material, served by undici's global (pooled) dispatcher.
    if (fresh === undefined) return;
    const identity = await this.tlsIdentity();
    if (this.kept?.identity === identity) {
      context.setDispatcher(this.kept.dispatcher);
      // Never used: no socket to close, nothing to wait for.
      void fresh.close().catch(() => undefined);
      return;
    }
    const previous = this.kept;
    this.kept = { identity, dispatcher: fresh };
    void previous?.dispatcher.close().catch(() => undefined);
  }

  private async tlsIdentity(): Promise<string> {
    const options: RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    return tlsIdentity(this.kubeConfig, options);
  }
}

/**
 * A digest of what a connection to the current context's cluster is built from: server, proxy and the TLS
 * material in `options` (filled by applyToHTTPSOptions). Never kept in the clear.
 */
export function tlsIdentity(kubeConfig: KubeConfig, options: RequestOptions): string {
  const cluster = kubeConfig.getCurrentCluster();
  const hash = createHash('sha256');
  for (const part of [cluster?.server, cluster?.proxyUrl, options.ca, options.cert, options.key, options.pfx, options.passphrase, options.servername, String(options.rejectUnauthorized)]) {
    const values = Array.isArray(part) ? part : [part];
    for (const value of values) {
      hash.update(value === undefined ? '\x00' : typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value));
      hash.update('\x01');
    }
  }
  return hash.digest('hex');
}
