/**
 * Session audit in the real editor: with ephemeralDebug.sessions.recordTerminals on, Attach Debug Container's
 * terminal says it is recorded, and once it closes the journal (read through the extension's API) holds an
 * attach session with the server's identity, the debug container's image, imageID and securityContext, and an
 * asciinema v2 recording of what the terminal showed, without the keystrokes (recordInput is off).
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, onDidWriteTerminalData, plain, waitFor } from './support';

interface Session {
  readonly id: string;
  readonly kind: string;
  readonly pod: string;
  readonly container?: string;
  readonly imageID?: string;
  readonly securityContext?: Record<string, unknown>;
  readonly identity: { readonly username: string; readonly source: string };
  readonly endedAt?: string;
  readonly artifacts: readonly { readonly fileName: string; readonly kind: string; readonly size: number }[];
  readonly folder: string;
}

describe('Session journal and terminal recording', () => {
  const settings = () => vscode.workspace.getConfiguration('ephemeralDebug');
  after(async () => {
    await settings().update('sessions.recordTerminals', undefined, vscode.ConfigurationTarget.Global);
  });

  it('records the attach terminal as an asciinema cast in a journaled session', async function () {
    this.timeout(120_000);
    await settings().update('sessions.recordTerminals', true, vscode.ConfigurationTarget.Global);
    const api = await vscode.extensions.getExtension<{ attach(a: unknown): Promise<{ container: string } | undefined>; listSessions(): Promise<readonly Session[]> }>(EXTENSION_ID)!.activate();
    const output = new Map<vscode.Terminal, string>();
    const subscription = onDidWriteTerminalData()((e) => output.set(e.terminal, (output.get(e.terminal) ?? '') + e.data));
    try {
      const before = new Set(vscode.window.terminals);
      const result = await api.attach({ namespace: 'demo', pod: 'python-app', image: 'busybox:1.36', target: 'app', interactive: false });
      assert.ok(result, 'attach returned nothing');
      const terminal = await waitFor('the attach terminal', () => vscode.window.terminals.find((t) => !before.has(t) && t.name.includes(result.container)));
      await waitFor('the recording banner and the prompt', () => {
        const shown = plain(output.get(terminal) ?? '');
        return /recorded/i.test(shown) && /\/ # $/.test(shown) ? true : undefined;
      });
      terminal.sendText('echo rec-$((6*7)); exit');
      await waitFor('the command output', () => (/rec-42/.test(plain(output.get(terminal) ?? '')) ? true : undefined));
      terminal.dispose();

      const session = await waitFor('the ended attach session with its recording', async () => {
        const found = (await api.listSessions()).find((s) => s.kind === 'attach' && s.container === result.container);
        return found?.endedAt !== undefined && found.artifacts.some((a) => a.kind === 'recording' && a.size > 0) ? found : undefined;
      });
      assert.equal(session.pod, 'python-app');
      assert.equal(session.identity.source, 'SelfSubjectReview');
      assert.match(session.imageID ?? '', /sha256:/, 'the resolved imageID');
      assert.ok(session.securityContext, 'the resulting securityContext');

      const cast = session.artifacts.find((a) => a.kind === 'recording')!;
      const lines = readFileSync(join(session.folder, cast.fileName), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
      const header = lines[0] as { version: number; width: number; height: number };
      assert.equal(header.version, 2);
      const events = lines.slice(1) as [number, string, string][];
      const shown = events.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
      assert.match(shown, /recorded/i, 'the banner is in the recording');
      assert.match(shown, /rec-42/, 'what the terminal showed is in the recording');
      assert.equal(events.filter((e) => e[1] === 'i').length, 0, 'keystrokes are left out (recordInput is off)');
      const times = events.map((e) => e[0]);
      assert.deepEqual(times, [...times].sort((a, b) => a - b), 'event times never go back');
    } finally {
      subscription.dispose();
    }
  });
});
