/** The vscode-free pieces of the target filesystem: name bytes ↔ strings, the URI encoding, listing parsers. */
import assert from 'node:assert/strict';
import { bytesToName, nameToBytes, normalizeTargetPath, shellOctal } from '../../../src/targetfs/names';
import { onReadonlyMount, parseEntryBlock, parseProbe } from '../../../src/targetfs/protocol';
import { decodeContext, encodeContext, formatTargetUri, parseTargetUri } from '../../../src/targetfs/targetUri';
import { FileAssembler } from '../../../src/targetfs/targetFileSystem';

describe('targetfs: names, URIs and the listing protocol', () => {
  it('maps any byte string to a name and back', () => {
    const samples = [Buffer.from('plain'), Buffer.from('ünïcødé 文字'), Buffer.from([0x62, 0xff, 0x0a, 0x80]), Buffer.from('\uf7ff', 'utf8'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('-dash')];
    for (const bytes of samples) assert.deepEqual(nameToBytes(bytesToName(bytes)), bytes, bytes.toString('hex'));
    assert.equal(bytesToName(Buffer.from('ok')), 'ok');
    for (let i = 0; i < 200; i++) {
      const random = Buffer.from(Array.from({ length: 12 }, (_, k) => (i * 31 + k * 17) % 256));
      assert.deepEqual(nameToBytes(bytesToName(random)), random);
    }
  });

  it('quotes paths for printf', () => {
    assert.equal(shellOctal(Buffer.from('/a b/%\\\n-x')), '/a\\040b/\\045\\134\\012-x');
    assert.equal(normalizeTargetPath('//a/./b/../c/'), '/a/c');
  });

  it('round-trips contexts with characters invalid in an authority', () => {
    for (const context of ['loopback-admin', 'arn:aws:eks:eu-west-1:123:cluster/prod', 'user@cluster', 'gke_p_z_n', 'Dev ~ test']) {
      const encoded = encodeContext(context);
      assert.match(encoded, /^[A-Za-z0-9._~-]+$/);
      assert.equal(decodeContext(encoded), context);
      const ref = { context, namespace: 'demo', pod: 'node-app', container: 'app' };
      const { authority, path } = formatTargetUri(ref, '/app/server.js');
      assert.equal(path, '/demo/node-app/app/app/server.js');
      assert.deepEqual(parseTargetUri(authority, path), { ref, path: '/app/server.js' });
    }
    assert.throws(() => parseTargetUri('x', '/demo'));
  });

  it('parses busybox listings, matching stat lines to names with newlines and skipping vanished entries', () => {
    const names = ['wf-a b', 'rf-new\nline', 'wlLloop', 'wf-gone', 'wd-.dir'];
    const head = Buffer.concat([...names.map((n) => Buffer.from(n + '\0')), Buffer.from('\0')]);
    const stats = Buffer.from('41ed 4096 1 1 0 0 755 .\n81a4 3 2 2 0 0 644 a b\n81a4 5 3 3 1000 1000 600 new\nline\na1ff 4 4 4 0 0 777 loop\n41ed 4096 5 5 0 0 755 .dir\n\0');
    const { entries, pos } = parseEntryBlock(Buffer.concat([head, stats]), 0, false);
    assert.equal(pos, head.length + stats.length);
    assert.deepEqual(entries.map((e) => [e.name.toString(), e.kind, e.link, e.size]), [
      ['a b', 'f', '-', 3], ['new\nline', 'f', '-', 5], ['loop', 'l', 'L', 4], ['gone', 'f', '-', undefined], ['.dir', 'd', '-', 4096],
    ]);
    assert.equal(entries[1].writable, false);
    assert.equal(entries[1].mtime, 3000);
  });

  it('parses the busybox listing form: names, one stat for all, only exceptions per entry; hostile names stay data', () => {
    // Names an attacker chose: a newline, one that reads as a stat line, one that reads as the form's tag, an
    // unmatched glob (no stat line: left out) and the dot entries (left out).
    const names = ['.', '..', 'a b', 'new\n81a4 9 9 9 0 0 644 fake', 's', 'link', '*', '.hidden'];
    const stats = '41ed 4096 1 1 0 0 755 .\n41ed 4096 1 1 0 0 755 ..\n81a4 3 2 2 0 0 644 a b\n81a4 5 3 3 1000 1000 600 new\n81a4 9 9 9 0 0 644 fake\n'
      + '41ed 4096 4 4 0 0 755 s\na1ff 4 4 4 0 0 777 link\n8124 0 6 6 0 0 444 .hidden\n';
    const block = Buffer.concat([Buffer.from('s\0'), ...names.map((n) => Buffer.from(n + '\0')), Buffer.from('\0'), Buffer.from(stats + '\0'),
      Buffer.from('r.hidden\0ldlink\0\0')]);
    const { entries, pos } = parseEntryBlock(block, 0, false);
    assert.equal(pos, block.length);
    assert.deepEqual(entries.map((e) => [e.name.toString(), e.kind, e.link, e.writable, e.size]), [
      ['a b', 'f', '-', true, 3], ['new\n81a4 9 9 9 0 0 644 fake', 'f', '-', true, 5], ['s', 'd', '-', true, 4096], ['link', 'l', 'd', true, 4],
      ['.hidden', 'f', '-', false, 0],
    ]);
    assert.equal(entries[1].mode, 0o600);
    assert.equal(entries[1].mtime, 3000);
  });

  it('parses GNU find listings and the probe', () => {
    const block = Buffer.from('wf 5 1700000000.5 1700000000.25 644 0 0 a\nb\0wl 4 1 1 777 0 0 lnk\0\0dlnk\0\0');
    const { entries } = parseEntryBlock(block, 0, true);
    assert.deepEqual(entries.map((e) => [e.name.toString(), e.kind, e.link, e.mtime]), [['a\nb', 'f', '-', 1700000000500], ['lnk', 'l', 'd', 1000]]);
    const probe = parseProbe('uid=1000\ntuid=0\nroot=denied\nsum=busybox sha256sum\nstat=1\nreadlink=1\nmnt=ro /\nmnt=rw /tmp\n');
    assert.equal(probe.uid, 1000);
    assert.equal(probe.rootReadable, false);
    assert.equal(probe.tools.sumKind, 'sha256');
    assert.equal(onReadonlyMount(probe.mounts, '/etc/x'), true);
    assert.equal(onReadonlyMount(probe.mounts, '/tmp/x'), false);
  });
});

describe('targetfs: assembling a read', () => {
  const bytes = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
  const chunks = [bytes.subarray(0, 30), bytes.subarray(30, 70), bytes.subarray(70)];

  it('fills the buffer sized by the header when the header comes first', () => {
    const a = new FileAssembler();
    a.expect(100);
    chunks.forEach((c) => a.push(c));
    assert.deepEqual(a.result(100), bytes);
  });

  it('keeps every byte in order when data arrives before the size header (stdout before stderr)', () => {
    const a = new FileAssembler();
    a.push(chunks[0]!);
    a.expect(100);
    a.push(chunks[1]!);
    a.push(chunks[2]!);
    assert.deepEqual(a.result(100), bytes);
  });

  it('switches to a chunk list when more arrives than announced', () => {
    const a = new FileAssembler();
    a.expect(50);
    chunks.forEach((c) => a.push(c));
    assert.deepEqual(a.result(100), bytes);
  });
});
