/** One redaction of command lines for every report and transcript (security #12.10). */
import assert from 'node:assert/strict';
import { redactArgv, redactCommandLine, REDACTED } from '../../../src/diagnostics/redact';
import { buildDiagnosticsReport } from '../../../src/diagnostics/report';
import { BUILT_IN_PLAYBOOKS } from '../../../src/playbooks/catalog';
import * as runner from '../../../src/playbooks/runner';
import { renderPlaybookTranscript } from '../../../src/playbooks/transcript';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl';
const SECRET_ARGV = ['/app/server', '--password', 'hunter2', '--api-key=s3cr3t-value', '--token', JWT, 'postgres://app:pw0rd@db:5432/app', '--port', '8080', '--verbose'];

describe('redaction of command lines', () => {
  it('security #12.10: a secret after a space (--password hunter2) is redacted, as are key=value, tokens and URL credentials', () => {
    assert.deepEqual(redactArgv(SECRET_ARGV), ['/app/server', '--password', REDACTED, `--api-key=${REDACTED}`, '--token', REDACTED, REDACTED, '--port', '8080', '--verbose']);
    assert.equal(redactCommandLine(SECRET_ARGV.join(' ')), redactArgv(SECRET_ARGV).join(' '), 'the joined form is redacted the same way');
    assert.deepEqual(redactArgv(['node', '--inspect', '/app/server.js']), ['node', '--inspect', '/app/server.js'], 'nothing else changes');
    assert.deepEqual(redactArgv(['app', '--secret', '--other']), ['app', '--secret', '--other'], 'a flag after a secret flag is no value');
  });

  it('security #12.10: PID 1\'s and the target\'s command lines in the diagnostics report are redacted', () => {
    const B = 'KEDIAG-0011223344556677';
    const stdout = [`${B} section runtime`, `${B} part pid1`, `|${SECRET_ARGV.join(' ')}`, `${B} section target`, `${B} part cmdline`, `|${SECRET_ARGV.join(' ')}`, `${B} end`].join('\n');
    const report = buildDiagnosticsReport({
      stdout, boundary: B, pod: { sharesPodPidNamespace: false }, showEnvValues: false, generatedAt: new Date(0),
      target: { namespace: 'demo', pod: 'web', debugContainer: 'debugger-x', targetContainer: 'app', pid: 1, cmdline: SECRET_ARGV.join(' '), how: 'test' },
    });
    assert.match(report.markdown, /PID 1: +\/app\/server --password <redacted>/);
    for (const secret of ['hunter2', 's3cr3t-value', JWT, 'pw0rd']) assert.ok(!report.markdown.includes(secret), `${secret} is in the report`);
  });

  it('security #12.10: the playbook transcript\'s target line is redacted', () => {
    const describe = (runner as Partial<typeof runner>).describeTargetChoice;
    assert.ok(describe, 'the runner describes the target through the one redaction');
    const targetNote = describe({ pid: 7, cmdline: SECRET_ARGV.join(' '), how: 'the only process' });
    const text = renderPlaybookTranscript(BUILT_IN_PLAYBOOKS[0]!, { namespace: 'demo', pod: 'web', inputs: {} }, {
      playbookId: BUILT_IN_PLAYBOOKS[0]!.id, containerName: 'debugger-x', targetPid: 7, targetNote, ok: true, steps: [],
    }, new Date(0));
    assert.match(text, /Target process: PID 7 — PID 7 \(\/app\/server --password <redacted>/);
    for (const secret of ['hunter2', 's3cr3t-value', JWT, 'pw0rd']) assert.ok(!text.includes(secret), `${secret} is in the transcript`);
  });
});
