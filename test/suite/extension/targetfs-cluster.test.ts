/**
 * The target filesystem (src/targetfs) end to end on the test cluster: a fixture written into the rootfs of
 * a distroless node pod (10,000 entries, hostile names, symlink loops, 64 MiB of random bytes), read through
 * busybox-only and GNU debug images; atomic writes cut short; a read-only root; a non-root debug container.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { attachDebugContainer } from '../../../src/debug/attachFlow';
import { execCapture } from '../../../src/debug/execCapture';
import { TargetFsError } from '../../../src/targetfs/errors';
import { TARGETFS_SCRIPTS } from '../../../src/targetfs/protocol';
import { bytesToName } from '../../../src/targetfs/names';
import { TargetFileSystem, TargetFileType, type WriteAudit } from '../../../src/targetfs/targetFileSystem';
import type { KubeConfig } from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';

const NODE_APP_IMAGE = 'loopback.local/demo/node-app:1.0';

/** Creates the fixture under /proc/1/root/fixture through a root debug container (busybox). */
const FIXTURE_SCRIPT = String.raw`set -e
F=/proc/1/root/fixture
rm -rf $F; mkdir -p $F/big $F/weird $F/links $F/atomic
cd $F/big; i=0; while [ $i -lt 10000 ]; do : > "file-$i"; i=$((i+1)); done
cd $F/weird
: > 'with space'; : > "$(printf 'new\nline')"; : > "$(printf 'bad\377utf8')"; : > -dash; : > --double; mkdir 'dir with space'; : > '.hidden'
printf 'hello' > 'dir with space/inner'
cd $F/links
ln -s loop2 loop1; ln -s loop1 loop2; ln -s self self; ln -s /nonexistent dangling; ln -s /app abs-dir; ln -s ../weird rel-dir; ln -s /app/server.js abs-file
mkfifo fifo 2>/dev/null || busybox mkfifo fifo
dd if=/dev/urandom of=$F/random.bin bs=1048576 count=64 2>/dev/null
echo secret > $F/secret; chmod 600 $F/secret
echo mine > $F/mine; chmod 600 $F/mine; chown 1000:1000 $F/mine
chmod 755 $F
echo done
`;

async function rootDebugContainer(api: ClusterApi, namespace: string, pod: string, image: string): Promise<string> {
  const result = await attachDebugContainer(api, { namespace, podName: pod, image, targetContainer: 'app', profile: 'general' }, { skipPrivilegedConfirmation: true });
  return result.containerName;
}

async function shellIn(api: ClusterApi, namespace: string, pod: string, container: string, script: string): Promise<string> {
  const out = await execCapture(api, namespace, pod, container, ['sh', '-c', script]);
  if (out.exitCode !== 0) throw new Error(`script failed (${out.exitCode}): ${out.stderr}`);
  return out.stdout;
}

/** Kills the `cat` receiving a write: the child of the script whose pid names the temporary file. */
const KILL_WRITER = [
  'for f in /proc/1/root/fixture/atomic/.kedbg-*.tmp; do',
  '  s=${f##*.kedbg-}; s=${s%.tmp}',
  '  for p in /proc/[0-9]*; do',
  '    pp=$(sed -n "s/^PPid:[[:space:]]*//p" $p/status 2>/dev/null)',
  '    [ "$pp" = "$s" ] && kill -9 ${p#/proc/}',
  '  done',
  'done; true',
].join('\n');

async function expectFsError(promise: Promise<unknown>, code: string, message?: RegExp): Promise<TargetFsError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TargetFsError, `not a TargetFsError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function createPod(cluster: TestCluster, name: string, spec: Record<string, unknown>): Promise<void> {
  await cluster.createPod('demo', { metadata: { name }, spec: spec as never });
  await waitForPod(cluster.kubeConfig(), 'demo', name, isRunning('app'));
}

/**
 * The same API, except that the stdout (and stderr) of each readFile exec pass through `tamper` on their way in:
 * the network between the container and the extension, altered. `tamper` returns what to deliver of each chunk;
 * `cut` closes the connection. Everything else (the probe, other operations) passes untouched.
 */
function alteredInFlight(api: ClusterApi, tamper: { stdout?: (chunk: Buffer, offset: number, cut: () => void) => Buffer; stderr?: (chunk: Buffer) => Buffer }): ClusterApi {
  const through = (sink: Writable | null | undefined, alter: ((chunk: Buffer, offset: number) => Buffer) | undefined): Writable | null | undefined => {
    if (!sink || !alter) return sink;
    let offset = 0;
    return new Writable({
      write(chunk: Buffer, _encoding, callback) {
        const delivered = alter(chunk, offset);
        offset += chunk.length;
        // Passed on synchronously, as client-node writes to the sink itself: waiting for the sink's callback would
        // hold later chunks in this stream's buffer, still undelivered when the exec's status closes it.
        if (delivered.length > 0) sink.write(delivered);
        callback();
      },
    });
  };
  return new Proxy(api, {
    get(target, property) {
      if (property !== 'exec') {
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      return async (namespace: string, pod: string, container: string, command: readonly string[], streams: Parameters<ClusterApi['exec']>[4]) => {
        if (command[2] !== TARGETFS_SCRIPTS.read) return target.exec(namespace, pod, container, command, streams);
        const opened: { connection?: Awaited<ReturnType<ClusterApi['exec']>> } = {};
        const cut = (): void => opened.connection?.close();
        opened.connection = await target.exec(namespace, pod, container, command, {
          ...streams,
          stdout: through(streams.stdout, tamper.stdout && ((chunk, offset) => tamper.stdout!(chunk, offset, cut))) ?? null,
          stderr: through(streams.stderr, tamper.stderr && ((chunk) => tamper.stderr!(chunk))),
        });
        return opened.connection;
      };
    },
  });
}

/** Resolves when `check` returns true, re-asking after each answer (a condition, not a sleep). */
async function until(check: () => Promise<boolean>, what: string, attempts = 400): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`never: ${what}`);
}

describe('targetfs: the target filesystem on the test cluster', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let api: ClusterApi;
  let kc: KubeConfig;
  let rootBusybox: string;
  let randomSha: string;

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 10, backoffBaseMs: 200 });
    kc = cluster.kubeConfig();
    api = createClusterApi(kc);
    await waitForPod(kc, 'demo', 'node-app', isRunning('app'));
    rootBusybox = await rootDebugContainer(api, 'demo', 'node-app', 'busybox:1.36');
    assert.equal((await shellIn(api, 'demo', 'node-app', rootBusybox, FIXTURE_SCRIPT)).trim(), 'done');
    randomSha = (await shellIn(api, 'demo', 'node-app', rootBusybox, 'busybox sha256sum /proc/1/root/fixture/random.bin')).split(' ')[0];
  });

  after(async () => {
    await cluster?.stop();
  });

  for (const image of ['busybox:1.36', 'ubuntu:24.04']) {
    describe(`reading with the ${image} debug image`, () => {
      let fs: TargetFileSystem;
      before(async () => {
        const name = image === 'busybox:1.36' ? rootBusybox : await rootDebugContainer(api, 'demo', 'node-app', image);
        fs = new TargetFileSystem(api, { context: api.contextName, namespace: 'demo', pod: 'node-app', container: 'app' }, { debugContainer: name });
        const session = await fs.connect();
        assert.equal(session.debugContainer, name);
        assert.equal(session.probe.tools.gnuFind, image === 'ubuntu:24.04', 'GNU find -printf detected only in the GNU image');
        assert.equal(session.probe.tools.sumKind, 'sha1', 'sha1sum found first (the fastest on both ends)');
      });

      it('lists 10,000 entries in one exec', async () => {
        const before = fs.execCount;
        const entries = await fs.readDirectory('/fixture/big');
        assert.equal(fs.execCount - before, 1, 'one exec round trip');
        assert.equal(entries.length, 10_000);
        assert.ok(entries.every(([, type]) => type === TargetFileType.File));
        assert.deepEqual(new Set(entries.map(([n]) => n)).size, 10_000);
        // Children's stats came with the listing: no exec for them.
        const s = await fs.stat('/fixture/big/file-9999');
        assert.equal(fs.execCount - before, 1, 'stat answered from the listing');
        assert.equal(s.type, TargetFileType.File);
        assert.equal(s.size, 0);
      });

      it('keeps names with spaces, newlines, invalid UTF-8 and leading dashes', async () => {
        const entries = new Map(await fs.readDirectory('/fixture/weird'));
        const bad = bytesToName(Buffer.from('bad\xffutf8', 'latin1'));
        for (const name of ['with space', 'new\nline', bad, '-dash', '--double', '.hidden', 'dir with space']) assert.ok(entries.has(name), `missing ${JSON.stringify(name)} in ${JSON.stringify([...entries.keys()])}`);
        assert.equal(entries.size, 7);
        assert.equal(entries.get('dir with space'), TargetFileType.Directory);
        assert.equal((await fs.stat(`/fixture/weird/${bad}`)).type, TargetFileType.File);
        assert.equal((await fs.stat('/fixture/weird/new\nline')).type, TargetFileType.File);
        assert.equal(Buffer.from(await fs.readFile('/fixture/weird/dir with space/inner')).toString(), 'hello');
        assert.equal((await fs.readFile('/fixture/weird/-dash')).length, 0);
      });

      it('types symlinks by their target inside the target root; loops and dangling links are bare links; fifos Unknown', async () => {
        const entries = new Map(await fs.readDirectory('/fixture/links'));
        const L = TargetFileType.SymbolicLink;
        assert.equal(entries.get('loop1'), L);
        assert.equal(entries.get('self'), L);
        assert.equal(entries.get('dangling'), L);
        assert.equal(entries.get('abs-dir'), L | TargetFileType.Directory, '/app resolves in the target, not the debug image');
        assert.equal(entries.get('abs-file'), L | TargetFileType.File);
        assert.equal(entries.get('rel-dir'), L | TargetFileType.Directory);
        assert.equal(entries.get('fifo'), TargetFileType.Unknown);
        const linked = await fs.stat('/fixture/links/abs-file');
        assert.equal(linked.type, L | TargetFileType.File);
        assert.ok(linked.size > 100, 'the size of server.js, not of the link');
        assert.ok((await fs.readDirectory('/fixture/links/abs-dir')).some(([n]) => n === 'server.js'));
        await expectFsError(fs.readFile('/fixture/links/loop1'), 'Unknown', /symbolic links/);
        await expectFsError(fs.readFile('/fixture/links/dangling'), 'FileNotFound');
      });

      it('reads 64 MiB of random bytes intact (sha256)', async () => {
        const data = await fs.readFile('/fixture/random.bin');
        assert.equal(data.length, 64 * 1024 * 1024);
        assert.equal(sha256(data), randomSha);
      });

      it('rejects a read whose bytes were altered, dropped or cut in flight, or whose checksum never came, and keeps no short file', async () => {
        const { debugContainer } = await fs.connect();
        const through = (tamper: Parameters<typeof alteredInFlight>[1]): TargetFileSystem =>
          new TargetFileSystem(alteredInFlight(api, tamper), { context: api.contextName, namespace: 'demo', pod: 'node-app', container: 'app' }, { debugContainer, cacheTtlMs: 0 });
        const half = 32 * 1024 * 1024;
        const spans = (chunk: Buffer, offset: number): boolean => offset <= half && half < offset + chunk.length;
        const flipped = through({ stdout: (chunk, offset) => {
          if (!spans(chunk, offset)) return chunk;
          const altered = Buffer.from(chunk);
          altered[half - offset] ^= 0x01;
          return altered;
        } });
        await expectFsError(flipped.readFile('/fixture/random.bin'), 'Unknown', /sha1 mismatch .*altered in transit/);
        const dropped = through({ stdout: (chunk, offset) => (spans(chunk, offset) ? Buffer.alloc(0) : chunk) });
        await expectFsError(dropped.readFile('/fixture/random.bin'), 'Unknown', /received \d+ of 67108864 bytes/);
        let delivered = 0;
        const cutHalfway = through({ stdout: (chunk, offset, cut) => {
          if (offset >= half) {
            cut();
            return Buffer.alloc(0);
          }
          delivered += chunk.length;
          return chunk;
        } });
        await assert.rejects(cutHalfway.readFile('/fixture/random.bin'), (error: unknown) => error instanceof TargetFsError, 'a cut stream is an error, not a short file');
        assert.ok(delivered > 0 && delivered < 64 * 1024 * 1024, `the cut came mid-file (${delivered} bytes delivered)`);
        const noTrailer = through({ stderr: (chunk) => Buffer.from(chunk.toString('utf8').replace(/^!SUM .*\n/m, '')) });
        await expectFsError(noTrailer.readFile('/fixture/weird/dir with space/inner'), 'Unknown', /no sha1 checksum/);
        assert.equal(Buffer.from(await through({}).readFile('/fixture/weird/dir with space/inner')).toString(), 'hello', 'the same path untouched reads');
      });

      it('maps errors to codes', async () => {
        await expectFsError(fs.stat('/fixture/nope'), 'FileNotFound');
        await expectFsError(fs.readDirectory('/fixture/random.bin'), 'FileNotADirectory');
        await expectFsError(fs.readFile('/fixture/big'), 'FileIsADirectory');
        await expectFsError(fs.writeFile('/fixture/x', Buffer.from('x'), { create: true, overwrite: true }), 'NoPermissions', /allowWrites/);
        const root = await fs.stat('/');
        assert.equal(root.type, TargetFileType.Directory);
        assert.equal(root.readonly, false, 'root can write the target');
      });
    });
  }

  describe('writing', () => {
    let fs: TargetFileSystem;
    let confirmations = 0;
    let confirmAnswer = false;
    const path = '/fixture/atomic/file.bin';
    const OLD = Buffer.alloc(1 << 20, 0x41);
    const NEW = Buffer.alloc(8 << 20, 0x42);
    const remoteSha = async () => (await shellIn(api, 'demo', 'node-app', rootBusybox, `busybox sha256sum /proc/1/root${path}`)).split(' ')[0];
    const tmpSize = async (): Promise<number> => {
      const out = await shellIn(api, 'demo', 'node-app', rootBusybox, 'for f in /proc/1/root/fixture/atomic/.kedbg-*.tmp; do [ -e "$f" ] && stat -c "%s" "$f"; done; true');
      return out.trim() === '' ? -1 : Number(out.trim().split('\n')[0]);
    };

    /** Content whose first open (hashing) gives everything and second (transfer) stops after 2 MiB until `release`. */
    function gated(): { content: { size: number; open: () => Readable }; release: () => void } {
      let opens = 0;
      let release!: () => void;
      const released = new Promise<void>((resolve) => { release = resolve; });
      return {
        release: () => release(),
        content: {
          size: NEW.length,
          open: () => {
            opens++;
            if (opens === 1) return Readable.from([NEW]);
            return Readable.from((async function* () {
              yield NEW.subarray(0, 2 << 20);
              await released;
              yield NEW.subarray(2 << 20);
            })());
          },
        },
      };
    }

    before(async () => {
      fs = new TargetFileSystem(api, { context: api.contextName, namespace: 'demo', pod: 'node-app', container: 'app' }, {
        debugContainer: rootBusybox,
        allowWrites: () => true,
        confirmOverwrite: async () => {
          confirmations++;
          return confirmAnswer;
        },
      });
      await fs.writeFile(path, OLD, { create: true, overwrite: false });
      assert.equal(await remoteSha(), sha256(OLD));
    });

    it('honours create/overwrite flags and preserves mode and owner', async () => {
      await expectFsError(fs.writeFile(path, OLD, { create: true, overwrite: false }), 'FileExists');
      await expectFsError(fs.writeFile('/fixture/atomic/missing', OLD, { create: false, overwrite: true }), 'FileNotFound');
      await expectFsError(fs.writeFile('/fixture/nodir/x', OLD, { create: true, overwrite: true }), 'FileNotFound');
      await shellIn(api, 'demo', 'node-app', rootBusybox, `chmod 640 /proc/1/root${path}; chown 1000:2000 /proc/1/root${path}`);
      fs.invalidateAll();
      await fs.readFile(path);
      await fs.writeFile(path, OLD, { create: false, overwrite: true });
      const mode = await shellIn(api, 'demo', 'node-app', rootBusybox, `stat -c '%a %u %g' /proc/1/root${path}`);
      assert.equal(mode.trim(), '640 1000 2000');
    });

    it('keeps the old content when the writing process is killed mid-transfer', async () => {
      const { content, release } = gated();
      const writing = fs.writeFile(path, content, { create: false, overwrite: true }).then(() => 'written', (e: unknown) => e);
      await until(async () => (await tmpSize()) > 0, 'the temporary file receives data');
      // Kill the `cat` receiving the content: the child of the script whose pid names the temporary file.
      await shellIn(api, 'demo', 'node-app', rootBusybox, KILL_WRITER);
      release();
      const outcome = await writing;
      assert.ok(outcome instanceof TargetFsError, `the write must fail, got ${String(outcome)}`);
      assert.equal(await remoteSha(), sha256(OLD), 'old content, never a mix');
    });

    it('keeps the old content when the connection is destroyed mid-stream', async () => {
      const { content, release } = gated();
      const abort = new AbortController();
      const writing = fs.writeFile(path, content, { create: false, overwrite: true, signal: abort.signal }).then(() => 'written', (e: unknown) => e);
      await until(async () => (await tmpSize()) > 0, 'the temporary file receives data');
      abort.abort();
      release();
      const outcome = await writing;
      assert.ok(outcome instanceof TargetFsError && outcome.code === 'Cancelled', String(outcome));
      // The remote side sees stdin end early: the size check refuses to rename.
      assert.equal(await remoteSha(), sha256(OLD), 'old content, never a mix');
      await until(async () => (await tmpSize()) === -1, 'the temporary file is removed');
    });

    it('writes the new content completely, then refuses to overwrite a file changed since it was read unless confirmed', async () => {
      fs.invalidateAll();
      await fs.readFile(path);
      await fs.writeFile(path, NEW, { create: false, overwrite: true });
      assert.equal(await remoteSha(), sha256(NEW));
      await shellIn(api, 'demo', 'node-app', rootBusybox, `echo changed-behind-our-back > /proc/1/root${path}`);
      confirmAnswer = false;
      await expectFsError(fs.writeFile(path, OLD, { create: false, overwrite: true }), 'Conflict', /changed on the target/);
      assert.equal(confirmations, 1);
      confirmAnswer = true;
      await fs.writeFile(path, OLD, { create: false, overwrite: true });
      assert.equal(confirmations, 2);
      assert.equal(await remoteSha(), sha256(OLD));
    });

    it('creates directories, renames (overwrite flag), copies and deletes recursively; the cache follows our writes', async () => {
      const before = fs.execCount;
      await fs.readDirectory('/fixture/atomic');
      await fs.readDirectory('/fixture/atomic');
      assert.equal(fs.execCount - before, 1, 'the second listing is cached');
      await fs.createDirectory('/fixture/atomic/d');
      await expectFsError(fs.createDirectory('/fixture/atomic/d'), 'FileExists');
      assert.ok((await fs.readDirectory('/fixture/atomic')).some(([n]) => n === 'd'), 'the listing was invalidated');
      await fs.writeFile('/fixture/atomic/d/a b', Buffer.from('one'), { create: true, overwrite: false });
      await fs.copy('/fixture/atomic/d', '/fixture/atomic/e', { overwrite: false });
      await expectFsError(fs.copy('/fixture/atomic/d', '/fixture/atomic/e', { overwrite: false }), 'FileExists');
      await fs.rename('/fixture/atomic/e/a b', '/fixture/atomic/e/-moved', { overwrite: false });
      assert.equal(Buffer.from(await fs.readFile('/fixture/atomic/e/-moved')).toString(), 'one');
      await fs.writeFile('/fixture/atomic/e/other', Buffer.from('two'), { create: true, overwrite: false });
      await expectFsError(fs.rename('/fixture/atomic/e/other', '/fixture/atomic/e/-moved', { overwrite: false }), 'FileExists');
      await fs.rename('/fixture/atomic/e/other', '/fixture/atomic/e/-moved', { overwrite: true });
      assert.equal(Buffer.from(await fs.readFile('/fixture/atomic/e/-moved')).toString(), 'two');
      await expectFsError(fs.delete('/fixture/atomic/e', { recursive: false }), 'Unknown', /not empty/i);
      await fs.delete('/fixture/atomic/e', { recursive: true });
      await expectFsError(fs.stat('/fixture/atomic/e'), 'FileNotFound');
      await expectFsError(fs.delete('/fixture/atomic/e', { recursive: true }), 'FileNotFound');
    });

    it('issue #17: tells the write audit every change, with the SHA-256 of the new content and of the content it replaced, and failures', async () => {
      const audits: WriteAudit[] = [];
      const audited = new TargetFileSystem(api, { context: api.contextName, namespace: 'demo', pod: 'node-app', container: 'app' }, {
        debugContainer: rootBusybox, allowWrites: () => true, onWrite: (a) => audits.push(a),
      });
      const file = '/fixture/atomic/audited.txt';
      await audited.writeFile(file, Buffer.from('first'), { create: true, overwrite: false });
      await audited.readFile(file);
      await audited.writeFile(file, Buffer.from('second'), { create: false, overwrite: true, origin: 'upload of /tmp/x' });
      await audited.rename(file, '/fixture/atomic/audited-2.txt', { overwrite: false });
      await expectFsError(audited.delete('/fixture/atomic/no-such-file', { recursive: false }), 'FileNotFound');
      await audited.delete('/fixture/atomic/audited-2.txt', { recursive: false });
      assert.deepEqual(audits.map((a) => [a.operation, a.path, a.error === undefined ? 'ok' : 'failed']), [
        ['write', file, 'ok'], ['write', file, 'ok'], ['rename', file, 'ok'], ['delete', '/fixture/atomic/no-such-file', 'failed'], ['delete', '/fixture/atomic/audited-2.txt', 'ok'],
      ]);
      assert.equal(audits[0]!.sha256, sha256(Buffer.from('first')));
      assert.equal(audits[0]!.previous, undefined, 'nothing was read before the first write');
      assert.equal(audits[1]!.sha256, sha256(Buffer.from('second')));
      assert.deepEqual(audits[1]!.previous, { size: 5, sha256: sha256(Buffer.from('first')) });
      assert.equal(audits[1]!.origin, 'upload of /tmp/x');
      assert.equal(audits[2]!.to, '/fixture/atomic/audited-2.txt');
      assert.match(audits[3]!.error ?? '', /no-such-file/);
      // A write refused because writes are off changes nothing, so it is no audit entry.
      const off = new TargetFileSystem(api, { context: api.contextName, namespace: 'demo', pod: 'node-app', container: 'app' }, { debugContainer: rootBusybox, onWrite: (a) => audits.push(a) });
      await expectFsError(off.writeFile('/fixture/atomic/x', Buffer.from('x'), { create: true, overwrite: false }), 'NoPermissions');
      assert.equal(audits.length, 5);
    });

    it('reports changes through a polling watch', async () => {
      const events: string[] = [];
      let baseline!: () => void;
      const polled = new Promise<void>((resolve) => { baseline = resolve; });
      let notify!: () => void;
      const seen = new Promise<void>((resolve) => { notify = resolve; });
      const watcher = fs.watch('/fixture/atomic', 250, (batch) => {
        events.push(...batch.map((e) => `${e.type} ${e.path}`));
        if (events.includes('created /fixture/atomic/watched')) notify();
      }, () => baseline());
      try {
        // The first completed poll is the baseline; change the directory after it.
        await polled;
        await shellIn(api, 'demo', 'node-app', rootBusybox, ': > /proc/1/root/fixture/atomic/watched');
        await seen;
      } finally {
        watcher.dispose();
      }
      assert.ok(events.includes('created /fixture/atomic/watched'), events.join(', '));
    });
  });

  describe('permissions', () => {
    it('reports a read-only root filesystem as NoPermissions and Readonly', async () => {
      await createPod(cluster, 'ro-app', { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '36000'], securityContext: { readOnlyRootFilesystem: true } }] });
      const name = await rootDebugContainer(api, 'demo', 'ro-app', 'busybox:1.36');
      const fs = new TargetFileSystem(api, { context: api.contextName, namespace: 'demo', pod: 'ro-app', container: 'app' }, { debugContainer: name, allowWrites: () => true });
      assert.equal((await fs.stat('/')).readonly, true);
      assert.equal((await fs.stat('/bin/busybox')).readonly, true);
      await expectFsError(fs.writeFile('/new-file', Buffer.from('x'), { create: true, overwrite: false }), 'NoPermissions', /read-only/);
      await expectFsError(fs.createDirectory('/newdir'), 'NoPermissions');
    });

    it('explains EACCES of a non-root debug container on a root target, and recovers through the auto profile callback', async () => {
      await createPod(cluster, 'eacces-app', { containers: [{ name: 'app', image: NODE_APP_IMAGE }] });
      const user = await attachDebugContainer(api, { namespace: 'demo', podName: 'eacces-app', image: 'busybox:1.36', targetContainer: 'app', profile: 'baseline', custom: { securityContext: { runAsUser: 1000, runAsGroup: 1000 } } }, { skipPrivilegedConfirmation: true });
      const ref = { context: api.contextName, namespace: 'demo', pod: 'eacces-app', container: 'app' };
      const plain = new TargetFileSystem(api, ref, { debugContainer: user.containerName });
      await expectFsError(plain.stat('/app/server.js'), 'NoPermissions', /the debug container runs as uid 1000, the target as uid 0: reattach with the auto profile/);
      const requests: string[] = [];
      const recovering = new TargetFileSystem(api, ref, {
        debugContainer: user.containerName,
        provideDebugContainer: async (request) => {
          requests.push(request.reason);
          const added = await attachDebugContainer(api, { namespace: request.namespace, podName: request.pod, targetContainer: request.targetContainer, profile: 'auto' }, { skipPrivilegedConfirmation: true });
          return added.containerName;
        },
      });
      assert.equal((await recovering.stat('/app/server.js')).type, TargetFileType.File);
      assert.deepEqual(requests, ['unreadable']);
    });

    it('maps an unreadable file of a same-uid target to NoPermissions', async () => {
      await createPod(cluster, 'user-app', { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '36000'], securityContext: { runAsUser: 1000, runAsGroup: 1000 } }] });
      const root = await rootDebugContainer(api, 'demo', 'user-app', 'busybox:1.36');
      await shellIn(api, 'demo', 'user-app', root, 'echo s > /proc/1/root/root-only; chmod 600 /proc/1/root/root-only; echo m > /proc/1/root/mine; chown 1000 /proc/1/root/mine; chmod 600 /proc/1/root/mine');
      const user = await attachDebugContainer(api, { namespace: 'demo', podName: 'user-app', image: 'busybox:1.36', targetContainer: 'app', profile: 'baseline', custom: { securityContext: { runAsUser: 1000, runAsGroup: 1000 } } }, { skipPrivilegedConfirmation: true });
      const fs = new TargetFileSystem(api, { context: api.contextName, namespace: 'demo', pod: 'user-app', container: 'app' }, { debugContainer: user.containerName });
      const session = await fs.connect();
      assert.equal(session.debugContainer, user.containerName);
      assert.equal(Buffer.from(await fs.readFile('/mine')).toString(), 'm\n');
      await expectFsError(fs.readFile('/root-only'), 'NoPermissions', /uid 1000/);
      assert.equal((await fs.stat('/root-only')).readonly, true);
      void execCapture;
    });
  });
});
