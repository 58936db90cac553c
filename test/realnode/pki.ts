/**
 * The real node's certificates, made with the openssl CLI like the loopback's (Node has no X.509 issuing
 * API): one CA for every component, client certificates whose CN/O are the identities the Node and RBAC
 * authorizers expect, and the service-account signing key. Regenerated at every start.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface IssuedCertificate {
  cert: string;
  key: string;
}

export interface CertificateRequest {
  name: string;
  commonName: string;
  organization?: string;
  /** subjectAltName entries, e.g. IP:127.0.0.1, DNS:localhost. */
  altNames?: string[];
  usage: 'server' | 'client' | 'both';
}

export class Pki {
  readonly caCert: string;
  readonly caKey: string;

  private constructor(readonly dir: string) {
    this.caCert = join(dir, 'ca.crt');
    this.caKey = join(dir, 'ca.key');
  }

  static async create(dir: string): Promise<Pki> {
    const pki = new Pki(dir);
    await run('openssl', ['req', '-x509', ...EC, '-keyout', pki.caKey, '-out', pki.caCert, '-days', '7',
      '-subj', '/CN=ephemeral-debug-realnode-ca', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    return pki;
  }

  async issue(request: CertificateRequest): Promise<IssuedCertificate> {
    const cert = join(this.dir, `${request.name}.crt`);
    const key = join(this.dir, `${request.name}.key`);
    const csr = join(this.dir, `${request.name}.csr`);
    const ext = join(this.dir, `${request.name}.ext`);
    const subject = `/CN=${request.commonName}${request.organization ? `/O=${request.organization}` : ''}`;
    await run('openssl', ['req', ...EC, '-keyout', key, '-out', csr, '-subj', subject]);
    const usage = { server: 'serverAuth', client: 'clientAuth', both: 'serverAuth,clientAuth' }[request.usage];
    await writeFile(ext, [
      ...(request.altNames?.length ? [`subjectAltName=${request.altNames.join(',')}`] : []),
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${usage}`,
      '',
    ].join('\n'));
    await run('openssl', ['x509', '-req', '-in', csr, '-CA', this.caCert, '-CAkey', this.caKey, '-CAcreateserial',
      '-out', cert, '-days', '7', '-extfile', ext]);
    return { cert, key };
  }

  /** An RSA key pair for signing and verifying service-account tokens. */
  async serviceAccountKey(): Promise<string> {
    const key = join(this.dir, 'service-account.key');
    await run('openssl', ['genrsa', '-out', key, '2048']);
    return key;
  }
}
