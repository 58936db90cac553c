/**
 * A throwaway CA and server certificate per server start, made with the openssl CLI (Node has no X.509
 * issuing API). EC P-256 keys keep generation in the tens of milliseconds.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ServerTls {
  caCert: string;
  cert: string;
  key: string;
}

export async function generateServerTls(): Promise<ServerTls> {
  const dir = await mkdtemp(join(tmpdir(), 'loopback-tls-'));
  const p = (f: string) => join(dir, f);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    await run('openssl', ['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '7',
      '-subj', '/CN=loopback-ca', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    await run('openssl', ['req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=loopback-apiserver']);
    await writeFile(p('ext.cnf'), [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'));
    await run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'),
      '-CAcreateserial', '-out', p('server.crt'), '-days', '7', '-extfile', p('ext.cnf')]);
    const [caCert, cert, key] = await Promise.all(['ca.crt', 'server.crt', 'server.key'].map((f) => readFile(p(f), 'utf8')));
    return { caCert, cert, key };
  } finally {
    // The CA key never leaves this function: nobody can mint more certificates for this server.
    await rm(dir, { recursive: true, force: true });
  }
}
