/** What every request handler gets: the parsed request, the caller, and helpers to answer. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { KubeletApi } from '../contracts';
import type { UserInfo } from './auth';
import { badRequest, unsupportedMediaType } from './status';
import type { ClusterStore, Obj } from './store';

export interface ServerSettings {
  kubelet?: KubeletApi;
  ephemeralContainersEnabled: boolean;
  bookmarkIntervalMs: number;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  user: UserInfo;
  store: ClusterStore;
  settings: ServerSettings;
  /** Close functions of open watches and log streams, so stop() can end them. */
  streams: Set<() => void>;
  /** The watches open now (what each watches), for tests asserting that a client ended its watches. */
  watches: Set<OpenWatch>;
}

/** One open watch request: its resource and namespace (undefined: all namespaces, or cluster-scoped). */
export interface OpenWatch {
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly user: string;
}

const MAX_BODY = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  return (await readRaw(req)).toString('utf8');
}

export function readRaw(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(badRequest('request body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Decodes a JSON (or YAML, as kubectl may send) request body into an object. */
export async function readObject(req: IncomingMessage): Promise<Obj> {
  const type = (req.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
  // Protobuf/CBOR are not spoken here; client-go retries with JSON after a 415.
  if (!['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml', ''].includes(type)) {
    throw unsupportedMediaType(['application/json', 'application/yaml']);
  }
  const text = await readBody(req);
  let obj: unknown;
  try {
    obj = /yaml/i.test(req.headers['content-type'] ?? '') ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw badRequest(`error decoding request body: ${(e as Error).message}`);
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw badRequest('the request body is not an object');
  return obj as Obj;
}

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function boolParam(url: URL, name: string): boolean {
  const v = url.searchParams.get(name);
  return v === 'true' || v === '1';
}

export function intParam(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`invalid ${name}: ${JSON.stringify(v)}`);
  return n;
}
