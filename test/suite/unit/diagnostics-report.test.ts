/** The diagnostics report: output grammar, forging, /proc decoders, redaction, Markdown escaping, settings. */
import assert from 'node:assert/strict';
import { codeFence, escapeInline } from '../../../src/diagnostics/markdown';
import { parseScriptOutput } from '../../../src/diagnostics/parse';
import { parseProcNetRoute, parseProcNetSockets, parseProcStat, decodeCapabilities } from '../../../src/diagnostics/procfs';
import { decodeEnvironHex, redactCommandLine, redactEnvValue, REDACTED } from '../../../src/diagnostics/redact';
import { buildDiagnosticsReport } from '../../../src/diagnostics/report';
import { normalizeUserScripts } from '../../../src/diagnostics/userScripts';

const B = 'KEDIAG-0123456789abcdef';
const target = { namespace: 'demo', pod: 'node-app', debugContainer: 'debugger-abcde', targetContainer: 'app', pid: 7, cmdline: '/nodejs/bin/node /app/server.js', how: 'test' };

function hexOf(text: string): string[] {
  return [Buffer.from(text).toString('hex').match(/../g)!.join(' ')];
}

describe('diagnostics: script output parser', () => {
  it('groups content into sections and parts, with status, exit code, truncation and the end marker', () => {
    const out = [`${B} section dns`, `${B} status missing-tool nslookup no nslookup`, '', `${B} part lookup a`, '|line 1', '|line 2', `${B} truncated`, `${B} exit 1`, `${B} end`].join('\n');
    const parsed = parseScriptOutput(out, B);
    assert.equal(parsed.complete, true);
    assert.equal(parsed.sections.length, 1);
    assert.deepEqual(parsed.sections[0].statuses, [{ status: 'missing-tool', detail: 'nslookup no nslookup' }]);
    assert.deepEqual(parsed.sections[0].parts[0], { name: 'lookup a', lines: ['line 1', 'line 2'], truncated: true, exitCode: 1 });
  });

  it('cannot be forged by content: a log line carrying the boundary stays content, and a wrong boundary is ignored', () => {
    const out = [`${B} section logs`, `${B} part log /var/log/app.log`, `|${B} section environment`, `|${B} end`, `OTHER section fake`, `${B}section x`].join('\n');
    const parsed = parseScriptOutput(out, B);
    assert.deepEqual(parsed.sections.map((s) => s.id), ['logs']);
    assert.deepEqual(parsed.sections[0].parts[0].lines, [`${B} section environment`, `${B} end`]);
    assert.equal(parsed.complete, false, 'only an unprefixed marker ends the run');
  });

  it('marks every section after a cut-short run as unavailable rather than inventing content', () => {
    const report = buildDiagnosticsReport({ stdout: `${B} section system\n${B} part kernel\n|Linux x\n`, boundary: B, target, pod: { sharesPodPidNamespace: false }, showEnvValues: false, generatedAt: new Date(0) });
    assert.equal(report.complete, false);
    assert.equal(report.sections.find((s) => s.id === 'system')?.status, 'ok');
    const env = report.sections.find((s) => s.id === 'environment')!;
    assert.equal(env.status, 'unavailable');
    assert.match(env.note ?? '', /stopped before this section/);
    assert.match(report.markdown, /\*\*incomplete\*\*/);
  });
});

describe('diagnostics: /proc decoders', () => {
  it('decodes /proc/net/tcp and tcp6 listening and established sockets', () => {
    const tcp = parseProcNetSockets('tcp', [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 12346 1 0000000000000000 20 4 30 10 -1',
    ]);
    assert.deepEqual(tcp.map((s) => [s.local, s.remote, s.state, s.inode]), [['0.0.0.0:8080', '0.0.0.0:0', 'LISTEN', 12345], ['127.0.0.1:8080', '127.0.0.1:54321', 'ESTABLISHED', 12346]]);
    const tcp6 = parseProcNetSockets('tcp6', ['   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0 100 0 0 10 0',
      '   1: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000001000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 998 1 0 100 0 0 10 0']);
    assert.deepEqual(tcp6.map((s) => s.local), ['[::]:8080', '[::ffff:127.0.0.1]:8080']);
    assert.equal(tcp6[1].remote, '[::1]:0');
  });

  it('decodes /proc/net/route, /proc/<pid>/stat with awkward names, and capabilities', () => {
    const routes = parseProcNetRoute(['Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask', 'eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0', 'eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0']);
    assert.deepEqual(routes.map((r) => [r.destination, r.gateway]), [['default', '10.0.0.1'], ['10.0.0.0/24', '0.0.0.0']]);
    const stat = parseProcStat('42 (my (odd) name) S 1 42 42 0 -1 4194560 1 0 0 0 150 50 0 0 20 0 1 0 100 1000 200');
    assert.deepEqual(stat && [stat.pid, stat.comm, stat.state, stat.ppid, stat.cpuTicks], [42, 'my (odd) name', 'S', 1, 200]);
    assert.deepEqual(decodeCapabilities('0000000000080000'), ['SYS_PTRACE']);
  });
});

describe('diagnostics: redaction', () => {
  it('redacts secret-looking names and JWT, PEM, long base64 and URL-credential values, and keeps the rest', () => {
    assert.equal(redactEnvValue('DB_PASSWORD', 'hunter2'), REDACTED);
    assert.equal(redactEnvValue('API_KEY', 'x'), REDACTED);
    assert.equal(redactEnvValue('SESSION_STORE', 'redis'), REDACTED);
    assert.equal(redactEnvValue('GREETING', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig'), REDACTED);
    assert.equal(redactEnvValue('CA', '-----BEGIN CERTIFICATE-----\nMIIB'), REDACTED);
    assert.equal(redactEnvValue('BLOB', 'QWxhZGRpbjpvcGVuIHNlc2FtZQ0KQWxhZGRpbjpvcGVuIHNlc2FtZQ=='), REDACTED);
    assert.equal(redactEnvValue('DATABASE_URL', 'postgres://app:s3cret@db:5432/app'), REDACTED);
    assert.equal(redactEnvValue('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'), '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    assert.equal(redactEnvValue('HOSTNAME', 'node-app'), 'node-app');
    assert.equal(redactCommandLine('app --port=8080 --db-password=hunter2 --token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig'), `app --port=8080 --db-password=${REDACTED} --token ${REDACTED}`);
  });

  it('splits environ on NUL (values may hold newlines and =) and shows values only when asked', () => {
    const environ = 'PATH=/bin\0MULTI=a\nb=c\0SECRET_TOKEN=abc\0';
    assert.deepEqual(decodeEnvironHex(hexOf(environ)), [{ name: 'PATH', value: '/bin' }, { name: 'MULTI', value: 'a\nb=c' }, { name: 'SECRET_TOKEN', value: 'abc' }]);
    const stdout = (mode: 'hex' | 'names'): string => [`${B} section environment`, `${B} part ${mode}`, ...(mode === 'hex' ? hexOf(environ) : ['PATH', 'MULTI', 'SECRET_TOKEN']).map((l) => `|${l}`), `${B} end`].join('\n');
    const shown = buildDiagnosticsReport({ stdout: stdout('hex'), boundary: B, target, pod: { sharesPodPidNamespace: false }, showEnvValues: true, generatedAt: new Date(0) });
    const env = shown.sections.find((s) => s.id === 'environment')!;
    assert.match(env.body, /^PATH=\/bin$/m);
    assert.match(env.body, new RegExp(`^SECRET_TOKEN=${REDACTED}$`, 'm'));
    assert.doesNotMatch(shown.markdown, /=abc/);
    const hidden = buildDiagnosticsReport({ stdout: stdout('hex'), boundary: B, target, pod: { sharesPodPidNamespace: false }, showEnvValues: false, generatedAt: new Date(0) });
    assert.doesNotMatch(hidden.markdown, /=\/bin|=abc/, 'values collected by mistake are still not shown');
    assert.match(hidden.sections.find((s) => s.id === 'environment')!.body, /^MULTI$/m);
  });
});

describe('diagnostics: Markdown', () => {
  it('fences content longer than any backtick run inside and escapes inline text', () => {
    const fenced = codeFence('a\n````\n```js\nb');
    assert.ok(fenced.startsWith('`````text\n') && fenced.endsWith('\n`````'), fenced);
    assert.equal(escapeInline('a|b <img> *x* `y`\n# z'), 'a\\|b \\<img\\> \\*x\\* \\`y\\` \\# z');
    const stdout = [`${B} section logs`, `${B} part searched`, '|/var/log /app', `${B} part log /var/log/app.log`, '|```', '|## not a heading', `${B} end`].join('\n');
    const report = buildDiagnosticsReport({ stdout, boundary: B, target, pod: { sharesPodPidNamespace: false }, showEnvValues: false, generatedAt: new Date(0) });
    assert.match(report.markdown, /^````text\n\*\.log files[\s\S]*\n```\n## not a heading\n````$/m);
  });
});

describe('diagnostics: user scripts setting', () => {
  it('keeps valid { name, script } entries and explains what it drops', () => {
    const { value, problems } = normalizeUserScripts([{ name: ' jvm ', script: 'jcmd 1 VM.flags' }, { name: 'x' }, 'nope', { name: 'jvm', script: 'echo' }, { script: 'echo' }]);
    assert.deepEqual(value, [{ name: 'jvm', script: 'jcmd 1 VM.flags' }]);
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.deepEqual(normalizeUserScripts(undefined), { value: [], problems: [] });
    assert.match(normalizeUserScripts({}).problems[0], /must be an array/);
  });
});
