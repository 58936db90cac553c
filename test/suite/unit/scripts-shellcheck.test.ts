/**
 * Every script that runs in pods is a `.sh` file under src/: each one passes ShellCheck (`-s sh`, Debian's
 * shellcheck, installed by test/setup/setup.mjs) and parses (`sh -n`) under busybox ash, dash and bash; so does
 * each script as it is sent (comment lines dropped, target-filesystem operations appended to their prelude, playbook
 * steps after the runner's prelude).
 * A missing shell or shellcheck fails the test: it is never skipped.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { STOP_SCRIPT } from '../../../src/debug/stopDebugContainer';
import { BUILT_IN_PLAYBOOKS } from '../../../src/playbooks/catalog';
import { stepCommand } from '../../../src/playbooks/shellEnv';
import { DIAGNOSTICS_SCRIPT } from '../../../src/diagnostics/script';
import { shellScript } from '../../../src/shell/shellScript';
import { PROBE_SCRIPT, TARGETFS_SCRIPTS } from '../../../src/targetfs/protocol';
import { LIST_PROCESSES_SCRIPT } from '../../../src/terminal/targetProcess';

const src = join(__dirname, '..', '..', '..', 'src');
const SHELLS: readonly (readonly string[])[] = [['busybox', 'sh'], ['dash'], ['bash', '--posix']];

function shFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? shFiles(join(dir, e.name)) : e.name.endsWith('.sh') ? [join(dir, e.name)] : []));
}

/** A file's text as checked: a `# part of: X.sh [Y.sh…]` fragment is appended to X.sh (then Y.sh…), as the code sends it. */
function checkedText(file: string): string {
  const text = readFileSync(file, 'utf8');
  const bases = /^# part of: (\S+\.sh(?: \S+\.sh)*)\n/.exec(text)?.[1]?.split(' ') ?? [];
  return [...bases.map((base) => readFileSync(join(dirname(file), base), 'utf8')), text].join('\n');
}

/** The bodies of a script's here-documents (`<<'TAG'` … `TAG`). */
function hereDocuments(text: string): string[] {
  return [...text.matchAll(/<<-?'(\w+)'[^\n]*\n([\s\S]*?)\n\1\n/g)].map((m) => m[2]!);
}

function run(command: readonly string[], input: string): { status: number | null; output: string } {
  const result = spawnSync(command[0]!, command.slice(1), { input, encoding: 'utf8' });
  if (result.error !== undefined) throw new Error(`${command[0]} cannot run (${result.error.message}): run \`node test/setup/setup.mjs\` to install it`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('scripts that run in pods: ShellCheck and three shells', () => {
  const files = shFiles(src);

  it('finds the .sh files of every part that runs scripts in pods', () => {
    const dirs = new Set(files.map((f) => relative(src, dirname(f))));
    for (const dir of ['diagnostics', 'targetfs', 'terminal', 'launch/runtimes', 'debug', 'playbooks/steps']) assert.ok(dirs.has(dir), `no .sh file in src/${dir}: ${[...dirs].join(', ')}`);
  });

  it('ShellCheck (-s sh) finds nothing in any of them', () => {
    const version = run(['shellcheck', '--version'], '');
    assert.equal(version.status, 0, version.output);
    const problems = files.flatMap((file) => {
      const { status, output } = run(['shellcheck', '-s', 'sh', '-f', 'gcc', '-'], checkedText(file));
      return status === 0 ? [] : [`${relative(src, file)}:\n${output}`];
    });
    assert.deepEqual(problems, []);
  });

  it('each built-in playbook step as sent is exactly a checked file: the prelude, its fragments and the step, in the order its first line names', () => {
    const checked = new Set(files.map((file) => shellScript(checkedText(file))));
    const unchecked = BUILT_IN_PLAYBOOKS.flatMap((playbook) => playbook.steps.filter((step) => !checked.has(stepCommand(step.script, {})[2]!)).map((step) => `${playbook.id} / ${step.title}`));
    assert.deepEqual(unchecked, []);
  });

  it('no here-document holds a line that shellScript drops (a comment or blank line would be lost in transit)', () => {
    const dropped = files.flatMap((file) => hereDocuments(readFileSync(file, 'utf8')).flatMap((body) => body.split('\n').filter((line) => /^\s*(#|$)/.test(line)).map((line) => `${relative(src, file)}: ${JSON.stringify(line)}`)));
    assert.deepEqual(dropped, []);
    assert.ok(files.some((file) => hereDocuments(readFileSync(file, 'utf8')).length > 0), 'the check sees the here-documents');
  });

  for (const shell of SHELLS) {
    it(`parses under ${shell.join(' ')} -n, as files and as sent`, () => {
      const sent: Record<string, string> = {
        'diagnostics (collect.sh)': DIAGNOSTICS_SCRIPT,
        'process listing': LIST_PROCESSES_SCRIPT,
        'stop debug container': STOP_SCRIPT,
        'target filesystem probe': PROBE_SCRIPT,
        ...Object.fromEntries(BUILT_IN_PLAYBOOKS.flatMap((playbook) => playbook.steps.map((step) => [`playbook ${playbook.id} / ${step.title}`, stepCommand(step.script, {})[2]!]))),
        ...Object.fromEntries(Object.entries(TARGETFS_SCRIPTS).map(([op, text]) => [`target filesystem ${op}`, text])),
        ...Object.fromEntries(files.map((f) => [`${relative(src, f)} as sent`, shellScript(checkedText(f))])),
      };
      const problems = [...files.map((f) => [relative(src, f), checkedText(f)] as const), ...Object.entries(sent)].flatMap(([name, text]) => {
        const { status, output } = run([...shell, '-n'], text);
        return status === 0 ? [] : [`${name}: ${output}`];
      });
      assert.deepEqual(problems, []);
    });
  }
});

