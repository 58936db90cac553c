/**
 * The loopback cluster's images for the real node: each root filesystem that test/cluster/kubelet's set-up
 * built becomes one uncompressed OCI layer, every reference of the catalogue (IMAGES) a manifest in one OCI
 * image layout, which `ctr images import` loads into containerd's k8s.io namespace under the same names.
 * Nothing is pulled: a reference outside the catalogue ends in ErrImagePull as on any offline cluster.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IMAGES, type ImageDefinition } from '../cluster/kubelet/images';

const run = promisify(execFile);

interface Blob {
  digest: string;
  size: number;
}

/** The OCI image layout under `layoutDir`, rebuilt when the loopback runtime (its stamp) or the catalogue changed. */
export async function ensureImageLayout(loopbackCacheDir: string, layoutDir: string, log: (line: string) => void): Promise<string> {
  const stamp = await readFile(join(loopbackCacheDir, 'runtime.stamp'), 'utf8').catch(() => {
    throw new Error(`the loopback runtime is not built (${loopbackCacheDir}/runtime.stamp is missing): run \`npm run setup\` first`);
  });
  const wanted = createHash('sha256').update(stamp).update(JSON.stringify(IMAGES)).digest('hex');
  const stampFile = join(layoutDir, 'layout.stamp');
  if ((await readFile(stampFile, 'utf8').catch(() => '')) === wanted) return layoutDir;

  const started = Date.now();
  await rm(layoutDir, { recursive: true, force: true });
  await mkdir(join(layoutDir, 'blobs', 'sha256'), { recursive: true });
  const layers = new Map<string, { layer: Blob; diffId: string }>();
  const manifests: object[] = [];
  for (const image of IMAGES) {
    let layer = layers.get(image.slug);
    if (!layer) {
      layer = await writeLayer(join(loopbackCacheDir, 'images', image.slug, 'rootfs'), layoutDir);
      layers.set(image.slug, layer);
    }
    const config = await writeBlob(layoutDir, JSON.stringify(ociConfig(image, layer.diffId)));
    const manifest = await writeBlob(layoutDir, JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer.layer }],
    }));
    for (const tag of image.tags) {
      manifests.push({
        mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest,
        platform: { architecture: 'amd64', os: 'linux' },
        annotations: { 'io.containerd.image.name': `${image.repository}:${tag}`, 'org.opencontainers.image.ref.name': tag },
      });
    }
  }
  await writeFile(join(layoutDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(layoutDir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  await writeFile(stampFile, wanted);
  log(`images: ${layers.size} root filesystems → ${manifests.length} references in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return layoutDir;
}

/** Loads every image of the layout into containerd (namespace k8s.io, unpacked for the CRI's snapshotter). */
export async function importImages(ctrBinary: string, layoutDir: string, containerdSocket: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const tar = spawn('tar', ['-C', layoutDir, '--exclude', './layout.stamp', '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const ctr = spawn(ctrBinary, ['--address', containerdSocket, '--namespace', 'k8s.io', 'images', 'import', '--snapshotter', 'overlayfs', '-'],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    let errors = '';
    tar.stderr.on('data', (d: Buffer) => { errors += d.toString(); });
    ctr.stderr.on('data', (d: Buffer) => { errors += d.toString(); });
    ctr.stdout.resume();
    // When ctr stops early, tar's writes fail (EPIPE): ctr's exit code and message say why.
    ctr.stdin.on('error', () => tar.kill());
    tar.on('error', reject);
    tar.stdout.pipe(ctr.stdin);
    ctr.on('error', reject);
    ctr.on('close', (code) => code === 0 ? resolve() : reject(new Error(`ctr images import failed (exit ${code}): ${errors.trim().slice(-500)}`)));
  });
}

function ociConfig(image: ImageDefinition, diffId: string): object {
  const { user, entrypoint, cmd, env, workingDir } = image.config;
  return {
    architecture: 'amd64',
    os: 'linux',
    config: {
      User: user, Env: env, WorkingDir: workingDir,
      ...(entrypoint.length ? { Entrypoint: entrypoint } : {}),
      ...(cmd.length ? { Cmd: cmd } : {}),
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created_by: `ephemeral-debug test image: ${image.description}` }],
  };
}

async function writeBlob(layoutDir: string, content: string): Promise<Blob> {
  const digest = 'sha256:' + createHash('sha256').update(content).digest('hex');
  await writeFile(join(layoutDir, 'blobs', 'sha256', digest.slice(7)), content);
  return { digest, size: Buffer.byteLength(content) };
}

/** An uncompressed, reproducible layer tar of `rootfs` (numeric owners, sorted names, fixed times). */
async function writeLayer(rootfs: string, layoutDir: string): Promise<{ layer: Blob; diffId: string }> {
  if (!existsSync(rootfs)) throw new Error(`image root filesystem ${rootfs} is missing: run \`npm run setup\``);
  const partial = join(layoutDir, 'layer.partial');
  await run('tar', ['--numeric-owner', '--sort=name', '--mtime=@0', '-C', rootfs, '-cf', partial, '.']);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(partial)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const digest = 'sha256:' + hash.digest('hex');
  await rename(partial, join(layoutDir, 'blobs', 'sha256', digest.slice(7)));
  return { layer: { digest, size }, diffId: digest };
}
