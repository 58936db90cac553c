/**
 * The session journal on disk: complete records that survive a reload, crash-cut lines, concurrent writers,
 * retention, atomic artifacts, and export as a folder and as a zip checked by an independent tool.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { inflateRawSync, crc32 } from 'node:zlib';
import {
  SessionArchiver, SessionJournal, archiveFileName, exportSessionFolder, exportSessionZip, newSessionId, isValidSessionId, SESSION_ID_PATTERN,
  type SessionIdentity, type SessionStart,
} from '../../../src/session';
import { rewriteJournal } from '../../../src/session/journalFile';

const identity: SessionIdentity = { username: 'debugger', uid: 'loopback-debugger', groups: ['loopback:debuggers', 'system:authenticated'], source: 'SelfSubjectReview' };

const startInfo: SessionStart = {
  kind: 'attach', identity, context: 'loopback-debugger', namespace: 'demo', pod: 'node-app',
  container: 'debugger-abcde', targetContainer: 'app', image: 'busybox:1.36', profile: 'general',
};

/** A clock tests move by hand. */
function manualClock(iso: string): { now: () => Date; set(iso: string): void; advance(ms: number): void } {
  let t = Date.parse(iso);
  return { now: () => new Date(t), set: (s) => { t = Date.parse(s); }, advance: (ms) => { t += ms; } };
}

function journalLines(dir: string): string[] {
  return readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads a zip independently of the writer: central directory → local headers → inflate, CRC checked. */
function readZip(file: string): Map<string, Buffer> {
  const zip = readFileSync(file);
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, 'no end of central directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(p), 0x02014b50);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const csize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    assert.equal(zip.readUInt32LE(local), 0x04034b50);
    assert.equal(zip.readUInt32LE(local + 14), crc, `${name}: local and central CRC differ`);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(dataStart, dataStart + csize);
    const data = method === 8 ? inflateRawSync(raw) : raw;
    assert.equal(data.length, size, `${name}: size`);
    assert.equal(crc32(data) >>> 0, crc, `${name}: CRC`);
    out.set(name, data);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

describe('session journal', () => {
  let root: string;
  beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'session-journal-')); });
  afterEach(() => { rmSync(root, { recursive: true, force: true }); });

  describe('session ids', () => {
    it('are short, sortable by start time, and safe as env values and folder names', () => {
      const a = newSessionId(new Date('2026-11-21T16:22:33.456Z'), () => 0);
      assert.equal(a, '20261121T162233Z-aaaaa');
      assert.match(newSessionId(), SESSION_ID_PATTERN);
      const earlier = newSessionId(new Date('2026-11-21T16:22:32.999Z'));
      const later = newSessionId(new Date('2026-11-21T16:22:34Z'));
      assert.deepEqual([later, a, earlier].sort(), [earlier, a, later]);
      const ids = new Set(Array.from({ length: 200 }, () => newSessionId(new Date('2026-01-01T00:00:00Z'))));
      assert.ok(ids.size > 190, 'random suffixes keep same-second ids apart');
      assert.ok(isValidSessionId(a));
      for (const bad of ['', '..', 'a/b', '../x', 'x y', 'a\\b']) assert.equal(isValidSessionId(bad), false, bad);
    });
  });

  it('keeps a complete record per session that survives a reload', async () => {
    const clock = manualClock('2026-11-21T16:22:33Z');
    const journal = await SessionJournal.open(root, { retentionDays: 30, now: clock.now });
    const record = await journal.start(startInfo);
    assert.match(record.id, SESSION_ID_PATTERN);
    clock.advance(1000);
    await record.update({ imageID: 'docker.io/library/busybox@sha256:abc', securityContext: { capabilities: { add: ['SYS_PTRACE'] }, privileged: false } });
    await record.action('created ephemeral container debugger-abcde', { image: 'busybox:1.36', token: 'must-not-appear', nested: { Password: 'nope', ok: 1 } });
    clock.advance(1000);
    const report = await record.addArtifact({ fileName: 'report.txt', kind: 'diagnostics', description: 'Diagnostics report', mediaType: 'text/plain' }, 'hello\n');
    const dump = Buffer.from([0, 1, 2, 255, 254]);
    await record.addArtifact({ fileName: 'heap.hprof', kind: 'heap-dump', description: 'Heap dump of pid 1', mediaType: 'application/octet-stream' }, dump);
    await record.addArtifact({ fileName: 'threads.txt', kind: 'thread-dump', description: 'jstack', mediaType: 'text/plain' }, Readable.from(['"main" ', 'RUNNABLE\n']));
    clock.advance(5000);
    await record.end({ status: 'completed' });
    const other = await journal.start({ ...startInfo, kind: 'shell', pod: 'python-app', identity: { username: 'alice', groups: [], source: 'kubeconfig', fallbackReason: 'x' } });

    assert.equal(report.size, 6);
    assert.equal(report.sha256, sha256('hello\n'));

    const reloaded = await SessionJournal.open(root, { retentionDays: 30, now: clock.now });
    assert.deepEqual(reloaded.problems, []);
    const sessions = await reloaded.list();
    assert.deepEqual(sessions.map((s) => s.id), [record.id, other.id]);
    const s = sessions[0];
    assert.deepEqual(s, await reloaded.get(record.id));
    assert.equal(s.kind, 'attach');
    assert.deepEqual(s.identity, identity);
    assert.equal(s.context, 'loopback-debugger');
    assert.equal(s.namespace, 'demo');
    assert.equal(s.pod, 'node-app');
    assert.equal(s.container, 'debugger-abcde');
    assert.equal(s.targetContainer, 'app');
    assert.equal(s.image, 'busybox:1.36');
    assert.equal(s.imageID, 'docker.io/library/busybox@sha256:abc');
    assert.equal(s.profile, 'general');
    assert.deepEqual(s.securityContext, { capabilities: { add: ['SYS_PTRACE'] }, privileged: false });
    assert.equal(s.startedAt, '2026-11-21T16:22:33.000Z');
    assert.equal(s.endedAt, '2026-11-21T16:22:40.000Z');
    assert.deepEqual(s.outcome, { status: 'completed' });
    assert.deepEqual(s.actions, [{
      at: '2026-11-21T16:22:34.000Z', description: 'created ephemeral container debugger-abcde',
      details: { image: 'busybox:1.36', token: '<redacted>', nested: { Password: '<redacted>', ok: 1 } },
    }]);
    assert.deepEqual(s.artifacts.map((a) => [a.fileName, a.kind, a.mediaType, a.size]), [
      ['report.txt', 'diagnostics', 'text/plain', 6],
      ['heap.hprof', 'heap-dump', 'application/octet-stream', 5],
      ['threads.txt', 'thread-dump', 'text/plain', 16],
    ]);
    assert.equal(s.artifacts[1].sha256, sha256(dump));
    assert.equal(s.folder, join(root, 'sessions', record.id));
    assert.deepEqual(readFileSync(join(s.folder, 'heap.hprof')), dump);
    assert.equal(readFileSync(join(s.folder, 'threads.txt'), 'utf8'), '"main" RUNNABLE\n');
    assert.equal(readFileSync(join(root, 'journal.jsonl'), 'utf8').includes('must-not-appear'), false);

    assert.equal(sessions[1].kind, 'shell');
    assert.equal(sessions[1].endedAt, undefined, 'a session without an end line is still open');
    assert.equal(sessions[1].identity.source, 'kubeconfig');

    // Every line is one self-contained event.
    for (const line of journalLines(root)) {
      const e = JSON.parse(line) as { type: string; sessionId: string; at: string };
      assert.ok(['start', 'update', 'action', 'artifact', 'end'].includes(e.type));
      assert.ok(isValidSessionId(e.sessionId));
      assert.ok(!Number.isNaN(Date.parse(e.at)));
    }
    // A handle resumed after the reload adds to the same record.
    await reloaded.resume(record.id).action('exported');
    assert.equal((await journal.get(record.id))?.actions.length, 2, 'the first instance reads the file too');
  });

  it('skips a crash-cut last line, says so, and keeps the next append on a line of its own', async () => {
    const first = await SessionJournal.open(root, { retentionDays: 0 });
    const kept = await first.start(startInfo);
    await kept.action('ran ps');
    appendFileSync(join(root, 'journal.jsonl'), '{"type":"action","sessionId":"' + kept.id + '","at":"2026-');

    const second = await SessionJournal.open(root, { retentionDays: 0 });
    assert.equal(second.problems.length, 1);
    assert.match(second.problems[0], /incomplete|damaged/);
    const sessions = await second.list();
    assert.deepEqual(sessions.map((s) => [s.id, s.actions.length]), [[kept.id, 1]]);

    await second.resume(kept.id).end({ status: 'failed', message: 'the pod was deleted' });
    const third = await SessionJournal.open(root, { retentionDays: 0 });
    assert.equal(third.problems.length, 1, 'the fragment is still reported, now as a damaged line');
    assert.deepEqual((await third.get(kept.id))?.outcome, { status: 'failed', message: 'the pod was deleted' });
    // Garbage in the middle is skipped too, with its line number.
    appendFileSync(join(root, 'journal.jsonl'), 'not json\n');
    await third.resume(kept.id).action('after garbage');
    await third.list();
    assert.equal(third.problems.length, 2);
    assert.equal((await third.get(kept.id))?.actions.at(-1)?.description, 'after garbage');
  });

  it('loses no line when several windows append at once', async () => {
    const windows = await Promise.all([1, 2, 3].map(() => SessionJournal.open(root, { retentionDays: 30 })));
    const records = await Promise.all(windows.flatMap((w) => Array.from({ length: 5 }, () => w.start(startInfo))));
    await Promise.all(records.flatMap((r) => Array.from({ length: 10 }, (_, i) => r.action(`step ${i}`, { blob: 'x'.repeat(2000) }))));
    await Promise.all(records.map((r) => r.end({ status: 'completed' })));
    const fresh = await SessionJournal.open(root, { retentionDays: 30 });
    const sessions = await fresh.list();
    assert.deepEqual(fresh.problems, []);
    assert.equal(sessions.length, 15);
    for (const s of sessions) {
      assert.deepEqual(s.actions.map((a) => a.description), Array.from({ length: 10 }, (_, i) => `step ${i}`), 'per-instance order kept');
      assert.deepEqual(s.outcome, { status: 'completed' });
    }
    assert.equal(journalLines(root).length, 15 * 12);
  });

  it('loses no line when separate processes append at once', async function () {
    this.timeout(60_000);
    // Each child is a window of its own: one SessionJournal, 3 sessions, 40 large actions each.
    const script = `
      const { SessionJournal } = await import(${JSON.stringify(join(__dirname, '../../../src/session/index.ts'))});
      const journal = await SessionJournal.open(process.argv[1], { retentionDays: 30 });
      const info = JSON.parse(process.argv[2]);
      const records = await Promise.all([0, 1, 2].map(() => journal.start(info)));
      await Promise.all(records.flatMap((r) => Array.from({ length: 40 }, (_, i) => r.action('step ' + i, { blob: 'y'.repeat(8000) }))));
      await Promise.all(records.map((r) => r.end({ status: 'completed' })));
    `;
    const children = [1, 2, 3, 4].map(() => new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, root, JSON.stringify(startInfo)], { stdio: ['ignore', 'ignore', 'inherit'] });
      child.on('error', reject);
      child.on('exit', resolve);
    }));
    assert.deepEqual(await Promise.all(children), [0, 0, 0, 0]);
    const journal = await SessionJournal.open(root, { retentionDays: 30 });
    const sessions = await journal.list();
    assert.deepEqual(journal.problems, []);
    assert.equal(sessions.length, 12);
    for (const s of sessions) {
      assert.deepEqual(s.actions.map((a) => a.description), Array.from({ length: 40 }, (_, i) => `step ${i}`));
    }
    assert.equal(journalLines(root).length, 12 * 42);
  });

  it('prunes sessions past retention, with their artifacts, and nothing else', async () => {
    const clock = manualClock('2026-01-01T00:00:00Z');
    const journal = await SessionJournal.open(root, { retentionDays: 30, now: clock.now });
    const old = await journal.start(startInfo);
    await old.addArtifact({ fileName: 'old.txt', kind: 'download', description: 'a file', mediaType: 'text/plain' }, 'old');
    await old.end({ status: 'completed' });
    clock.set('2026-01-20T00:00:00Z');
    const longRunning = await journal.start(startInfo);
    clock.set('2026-02-15T00:00:00Z');
    await longRunning.action('still here'); // last activity is recent: kept
    const recent = await journal.start(startInfo);
    await recent.addArtifact({ fileName: 'new.txt', kind: 'download', description: 'a file', mediaType: 'text/plain' }, 'new');
    mkdirSync(join(root, 'sessions', 'not-a-journal-session'));
    writeFileSync(join(root, 'sessions', 'not-a-journal-session', 'keep.txt'), 'mine');
    writeFileSync(join(root, 'unrelated.txt'), 'mine');

    const reopened = await SessionJournal.open(root, { retentionDays: 30, now: () => new Date('2026-02-15T12:00:00Z') });
    assert.deepEqual(reopened.pruned, [old.id]);
    assert.deepEqual((await reopened.list()).map((s) => s.id), [longRunning.id, recent.id]);
    assert.equal(existsSync(old.folder), false);
    assert.equal(readFileSync(join(recent.folder, 'new.txt'), 'utf8'), 'new');
    assert.ok(existsSync(join(root, 'sessions', 'not-a-journal-session', 'keep.txt')));
    assert.ok(existsSync(join(root, 'unrelated.txt')));
    assert.equal(journalLines(root).some((l) => l.includes(old.id)), false);
    assert.deepEqual(readdirSync(root).sort(), ['journal.jsonl', 'sessions', 'unrelated.txt'], 'no lock or temp file left');

    const forever = await SessionJournal.open(root, { retentionDays: 0, now: () => new Date('2030-01-01T00:00:00Z') });
    assert.deepEqual(forever.pruned, []);
    assert.equal((await forever.list()).length, 2);
  });

  it('keeps lines other windows append while retention rewrites the journal', async () => {
    const journal = await SessionJournal.open(root, { retentionDays: 0 });
    const gone = await journal.start(startInfo);
    const stays = await journal.start(startInfo);
    const path = join(root, 'journal.jsonl');
    let appended = false;
    const done = await rewriteJournal(path, (event) => {
      // Another window appends after the rewrite read the file and before it renames.
      if (!appended) {
        appended = true;
        appendFileSync(path, `${JSON.stringify({ type: 'action', sessionId: stays.id, at: new Date().toISOString(), description: 'meanwhile' })}\n`);
      }
      return event.sessionId !== gone.id;
    });
    assert.equal(done, true);
    const sessions = await journal.list();
    assert.deepEqual(sessions.map((s) => [s.id, s.actions.map((a) => a.description)]), [[stays.id, ['meanwhile']]]);
    // A second compactor backs off while the lock is held.
    writeFileSync(`${path}.lock`, '');
    assert.equal(await rewriteJournal(path, () => false), false);
    assert.equal((await journal.list()).length, 1);
  });

  it('writes artifacts atomically: unique names, no temp files, nothing recorded when the source fails', async () => {
    const journal = await SessionJournal.open(root, { retentionDays: 30 });
    const record = await journal.start(startInfo);
    const meta = { fileName: 'dump.txt', kind: 'thread-dump' as const, description: 'jstack', mediaType: 'text/plain' };
    const a = await record.addArtifact(meta, 'one');
    const b = await record.addArtifact(meta, 'two');
    assert.deepEqual([a.fileName, b.fileName], ['dump.txt', 'dump-2.txt']);
    assert.equal(readFileSync(record.artifactPath('dump.txt'), 'utf8'), 'one');
    assert.equal(readFileSync(record.artifactPath('dump-2.txt'), 'utf8'), 'two');

    const failing = new Readable({
      read() {
        this.push('partial data');
        this.destroy(new Error('the exec stream closed'));
      },
    });
    await assert.rejects(record.addArtifact({ ...meta, fileName: 'broken.bin' }, failing), /exec stream closed/);
    assert.deepEqual(readdirSync(record.folder).sort(), ['dump-2.txt', 'dump.txt'], 'neither the file nor its temp file remains');

    for (const bad of ['../escape.txt', 'a/b', '.hidden', '']) {
      await assert.rejects(record.addArtifact({ ...meta, fileName: bad }, 'x'), /Cannot store the artifact/, bad);
    }
    const empty = await record.addArtifact({ ...meta, fileName: 'empty.txt' }, '');
    assert.equal(empty.size, 0);
    const summary = await journal.get(record.id);
    assert.deepEqual(summary?.artifacts.map((x) => [x.fileName, x.size, x.sha256]), [
      ['dump.txt', 3, sha256('one')], ['dump-2.txt', 3, sha256('two')], ['empty.txt', 0, sha256('')],
    ]);
  });

  describe('export', () => {
    async function sessionWithArtifacts(): Promise<{ journal: SessionJournal; id: string; files: Map<string, Buffer> }> {
      const journal = await SessionJournal.open(join(root, 'storage'), { retentionDays: 30 });
      const record = await journal.start(startInfo);
      await record.update({ imageID: 'sha256:feed' });
      const files = new Map<string, Buffer>([
        ['report.txt', Buffer.from('diagnostics ✓ ünïcode\n'.repeat(100))],
        ['heap.hprof', Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251))],
        ['empty.log', Buffer.alloc(0)],
        ['session.json', Buffer.from('an artifact that happens to share the record\'s name')],
      ]);
      for (const [fileName, content] of files) {
        await record.addArtifact({ fileName, kind: 'other', description: fileName, mediaType: 'application/octet-stream' }, content);
      }
      await record.end({ status: 'completed' });
      return { journal, id: record.id, files };
    }

    it('writes a valid zip holding the record and every artifact', async () => {
      const { journal, id, files } = await sessionWithArtifacts();
      const zipPath = join(root, 'session.zip');
      const result = await exportSessionZip(journal, id, zipPath);
      assert.deepEqual(result.missing, []);
      assert.deepEqual(result.entries, [`${id}/session.json`, ...[...files.keys()].map((f) => `${id}/artifacts/${f}`)]);
      assert.deepEqual(readdirSync(root).filter((f) => f.endsWith('.partial')), []);

      // Independent checkers: whichever of Info-ZIP and Python is installed (both are here).
      let checked = 0;
      if (spawnSync('unzip', ['-v']).status === 0) {
        const out = execFileSync('unzip', ['-t', zipPath], { encoding: 'utf8' });
        assert.match(out, /No errors detected/);
        checked++;
      }
      if (spawnSync('python3', ['--version']).status === 0) {
        execFileSync('python3', ['-m', 'zipfile', '-t', zipPath], { encoding: 'utf8' });
        const listing = execFileSync('python3', ['-c',
          'import sys,zipfile,json; z=zipfile.ZipFile(sys.argv[1]); print(json.dumps({i.filename: i.file_size for i in z.infolist()}))', zipPath], { encoding: 'utf8' });
        const sizes = JSON.parse(listing) as Record<string, number>;
        assert.deepEqual(Object.keys(sizes), result.entries);
        for (const [name, content] of files) assert.equal(sizes[`${id}/artifacts/${name}`], content.length, name);
        checked++;
      }
      assert.ok(checked > 0, 'neither unzip nor python3 is installed to check the zip');

      const entries = readZip(zipPath);
      for (const [name, content] of files) assert.deepEqual(entries.get(`${id}/artifacts/${name}`), content, name);
      const record = JSON.parse(entries.get(`${id}/session.json`)!.toString('utf8'));
      assert.equal(record.id, id);
      assert.equal(record.imageID, 'sha256:feed');
      assert.equal(record.folder, undefined, 'the local path is not exported');
      assert.equal(record.artifacts.length, 4);
    });

    it('writes a folder with session.json and the artifacts, and never merges into an existing one', async () => {
      const { journal, id, files } = await sessionWithArtifacts();
      rmSync(join((await journal.get(id))!.folder, 'empty.log'));
      const dest = join(root, 'exported');
      const result = await exportSessionFolder(journal, id, dest);
      assert.deepEqual(result.missing, ['empty.log']);
      assert.deepEqual(readdirSync(dest).sort(), ['artifacts', 'session.json']);
      assert.deepEqual(readdirSync(join(dest, 'artifacts')).sort(), ['heap.hprof', 'report.txt', 'session.json']);
      for (const name of ['heap.hprof', 'report.txt', 'session.json']) {
        assert.deepEqual(readFileSync(join(dest, 'artifacts', name)), files.get(name));
      }
      const record = JSON.parse(readFileSync(join(dest, 'session.json'), 'utf8'));
      assert.equal(record.id, id);
      assert.deepEqual(record.missingArtifacts, ['empty.log']);

      await assert.rejects(exportSessionFolder(journal, id, dest), /already exists/);
      assert.deepEqual(readdirSync(root).filter((f) => f.endsWith('.partial')), []);
      await assert.rejects(exportSessionZip(journal, 'no-such-session', join(root, 'x.zip')), /not in the journal/);
    });
  });
});

describe('session archive (sessions.archiveDirectory)', () => {
  let root: string;
  beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'session-archive-')); });
  afterEach(() => { rmSync(root, { recursive: true, force: true }); });

  function logger() {
    const lines: string[] = [];
    return { lines, info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) };
  }

  it('writes each finished session\'s export zip, named so that sorting by name sorts by start time, with nothing partial left', async () => {
    const archive = join(root, 'team-share');
    mkdirSync(archive);
    const clock = manualClock('2026-12-07T10:00:00Z');
    const journal = await SessionJournal.open(join(root, 'journal'), { retentionDays: 30, now: clock.now });
    const log = logger();
    const archiver = new SessionArchiver(journal, { directory: () => archive, logger: log });
    // The later session ends first: the names still sort by start time.
    const early = await journal.start(startInfo, newSessionId(clock.now()));
    clock.advance(61_000);
    const late = await journal.start({ ...startInfo, kind: 'diagnostics', pod: 'web-7d4b9c-x2x9q' }, newSessionId(clock.now()));
    await late.addArtifact({ fileName: 'report.md', kind: 'diagnostics', description: 'r', mediaType: 'text/markdown' }, '# report\n');
    await late.end({ status: 'completed' });
    await archiver.settled();
    assert.equal(readdirSync(archive).length, 1, 'nothing is archived before a session ends');
    await early.end({ status: 'failed', message: 'x' });
    await archiver.settled();

    const names = readdirSync(archive);
    assert.deepEqual(names, [...names].sort());
    assert.deepEqual(names.sort(), [archiveFileName({ id: early.id, kind: 'attach', namespace: 'demo', pod: 'node-app' }), archiveFileName({ id: late.id, kind: 'diagnostics', namespace: 'demo', pod: 'web-7d4b9c-x2x9q' })]);
    assert.match(names[0]!, /^20261207T100000Z-[a-z0-9]{5}_attach_demo_node-app\.zip$/);
    const zip = readZip(join(archive, names[1]!));
    assert.equal(zip.get(`${late.id}/artifacts/report.md`)?.toString(), '# report\n');
    assert.equal(JSON.parse(zip.get(`${late.id}/session.json`)!.toString()).outcome.status, 'completed');
    archiver.dispose();
  });

  it('never creates the folder: a missing one (an unmounted share) is reported once, and archiving resumes when it exists', async () => {
    const archive = join(root, 'not-mounted');
    const journal = await SessionJournal.open(join(root, 'journal'), { retentionDays: 30 });
    const log = logger();
    const archiver = new SessionArchiver(journal, { directory: () => archive, logger: log });
    for (let i = 0; i < 2; i++) await (await journal.start(startInfo)).end({ status: 'completed' });
    await archiver.settled();
    assert.equal(existsSync(archive), false);
    assert.equal(log.lines.filter((l) => l.startsWith('warn')).length, 1, log.lines.join('\n'));
    assert.match(log.lines[0]!, /not-mounted is not a folder \(not mounted\?\)/);
    mkdirSync(archive);
    await (await journal.start(startInfo)).end({ status: 'completed' });
    await archiver.settled();
    assert.equal(readdirSync(archive).length, 1);
    archiver.dispose();
  });

  it('keeps a name from the cluster from leaving the folder', () => {
    assert.equal(archiveFileName({ id: '20261207T100000Z-abcde', kind: 'shell', namespace: '../..', pod: 'a/b\\c' }), '20261207T100000Z-abcde_shell_..-.._a-b-c.zip');
  });
});
