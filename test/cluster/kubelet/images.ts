/**
 * The loopback cluster's image catalogue. Root filesystems are built by setup-runtime.mjs under
 * <cacheDir>/images/<slug>/rootfs from this machine's Debian packages; this file holds what a registry
 * would: references, configs (user, entrypoint, cmd, env, workingDir) and digests.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';

export interface ImageConfig {
  /** Numeric uid (optionally uid:gid) like an OCI config's User. */
  user: string;
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
}

export interface ImageDefinition {
  /** Normalised repository, e.g. docker.io/library/busybox. */
  repository: string;
  tags: string[];
  /** Directory under <cacheDir>/images holding rootfs/. */
  slug: string;
  description: string;
  config: ImageConfig;
}

export interface ResolvedImage {
  definition: ImageDefinition;
  /** The normalised reference that was asked for, e.g. docker.io/library/busybox:latest. */
  reference: string;
  /** sha256:<hex> */
  digest: string;
  /** What the kubelet reports as imageID: repository@sha256:<hex>. */
  imageID: string;
  rootfs: string;
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const image = (repository: string, tags: string[], slug: string, description: string, config: Partial<ImageConfig>): ImageDefinition => ({
  repository, tags, slug, description,
  config: { user: '0', entrypoint: [], cmd: [], env: [DEFAULT_PATH], workingDir: '/', ...config },
});

export const IMAGES: readonly ImageDefinition[] = [
  image('docker.io/library/busybox', ['latest', '1.36', '1.36.1', 'stable'], 'busybox',
    'busybox-static from Debian 12 (1.35; tagged 1.36 for manifests that pin it)', { cmd: ['sh'] }),
  image('docker.io/nicolaka/netshoot', ['latest', 'v0.13'], 'netshoot',
    'Stand-in for netshoot: busybox plus iproute2 (ip, ss), curl, strace and gdb copied from the machine', { cmd: ['sh'] }),
  image('docker.io/library/ubuntu', ['latest', '24.04', '22.04', 'noble', 'jammy'], 'ubuntu',
    'Stand-in for ubuntu: GNU bash, coreutils, findutils, grep, sed, procps from Debian 12 (the "GNU tools" debug image)', { cmd: ['bash'] }),
  image('docker.io/library/node', ['latest', '22', '22-bookworm', 'lts'], 'node',
    'node 22 (the repository\'s node binary) with a busybox shell instead of Debian', { cmd: ['node'], env: [DEFAULT_PATH, 'NODE_VERSION=22'] }),
  image('gcr.io/distroless/nodejs22-debian12', ['latest'], 'distroless-nodejs',
    'distroless-style node 22: node and its libraries only, no shell, runs as root', { entrypoint: ['/nodejs/bin/node'] }),
  image('gcr.io/distroless/nodejs22-debian12', ['nonroot'], 'distroless-nodejs',
    'distroless-style node 22, nonroot variant (uid 65532)', { entrypoint: ['/nodejs/bin/node'], user: '65532', workingDir: '/home/nonroot' }),
  image('docker.io/library/python', ['latest', '3.12', '3.12-slim', '3'], 'python',
    'Stand-in for python:3.12: Debian 12\'s python3 3.11 with debugpy (python3-debugpy) and gdb (for debugpy --pid), busybox shell',
    { cmd: ['python3'], env: [DEFAULT_PATH, 'PYTHONUNBUFFERED=1'] }),
  image('docker.io/library/eclipse-temurin', ['latest', '17', '17-jdk'], 'temurin',
    'Stand-in for eclipse-temurin:17: Debian 12\'s OpenJDK 17 JDK (java, jcmd, jdb) at /opt/java/openjdk, busybox shell',
    { cmd: ['jshell'], env: ['PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'JAVA_HOME=/opt/java/openjdk'] }),
  image('ghcr.io/go-delve/delve', ['latest', 'v1.20'], 'delve',
    'Debug image with Debian 12\'s delve (dlv 1.20) and a busybox shell', { cmd: ['sh'] }),
  image('registry.k8s.io/pause', ['3.10', '3.9', 'latest'], 'pause', 'The pod sandbox: a static /pause', { entrypoint: ['/pause'] }),
  // Demo workloads (sources in test/cluster/demo).
  image('loopback.local/demo/node-app', ['1.0', 'latest'], 'demo-node-app',
    'Demo: HTTP server on 8080, FROM the distroless node image (no shell)',
    { entrypoint: ['/nodejs/bin/node'], cmd: ['/app/server.js'], workingDir: '/app' }),
  image('loopback.local/demo/java-app', ['1.0', 'latest'], 'demo-java-app',
    'Demo: Java HTTP server on 8080 with JDWP on 5005, FROM eclipse-temurin:17',
    {
      entrypoint: ['java', '-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:5005', '-cp', '/app', 'Main'],
      workingDir: '/app',
      env: ['PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'JAVA_HOME=/opt/java/openjdk'],
    }),
  image('loopback.local/demo/python-app', ['1.0', 'latest'], 'demo-python-app',
    'Demo: Python HTTP server on 8000, FROM python:3.12', { cmd: ['python3', '/app/app.py'], workingDir: '/app', env: [DEFAULT_PATH, 'PYTHONUNBUFFERED=1'] }),
  image('loopback.local/demo/go-app', ['1.0', 'latest'], 'demo-go-app',
    'Demo: static Go HTTP server on 8080 (no shell; debug with the delve image)', { entrypoint: ['/app/server'], workingDir: '/app', user: '65532' }),
];

export interface ParsedReference {
  repository: string;
  tag?: string;
  digest?: string;
}

/** Docker's reference normalisation: busybox → docker.io/library/busybox, tag latest unless a digest is given. */
export function parseReference(reference: string): ParsedReference {
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let repository = hasRegistry ? rest : `docker.io/${slash < 0 ? `library/${rest}` : rest}`;
  if (repository.startsWith('index.docker.io/')) repository = `docker.io/${repository.slice('index.docker.io/'.length)}`;
  if (!tag && !digest) tag = 'latest';
  return { repository, tag, digest };
}

export function normaliseReference(reference: string): string {
  const p = parseReference(reference);
  return `${p.repository}${p.tag ? `:${p.tag}` : ''}${p.digest ? `@${p.digest}` : ''}`;
}

/** Stable per image (repository + config + slug), like a manifest digest. */
export function imageDigest(definition: ImageDefinition): string {
  return 'sha256:' + createHash('sha256').update(JSON.stringify([definition.repository, definition.slug, definition.config])).digest('hex');
}

/** The catalogue entry for a reference, or undefined when a real registry would answer "not found". */
export function resolveImage(reference: string, cacheDir: string): ResolvedImage | undefined {
  const parsed = parseReference(reference);
  const candidates = IMAGES.filter((d) => d.repository === parsed.repository);
  const definition = candidates.find((d) => {
    if (parsed.tag && !d.tags.includes(parsed.tag)) return false;
    return !parsed.digest || imageDigest(d) === parsed.digest;
  });
  if (!definition) return undefined;
  const digest = imageDigest(definition);
  return {
    definition,
    reference: normaliseReference(reference),
    digest,
    imageID: `${definition.repository}@${digest}`,
    rootfs: path.join(cacheDir, 'images', definition.slug, 'rootfs'),
  };
}

/** containerd's message for a reference no registry knows. */
export function pullErrorMessage(reference: string): string {
  const ref = normaliseReference(reference);
  return `failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
}
