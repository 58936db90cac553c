/**
 * Every script that runs in pods is a `.sh` file under src/: each one passes ShellCheck (`-s sh`, Debian's
 * shellcheck, installed by test/setup/setup.mjs) and parses (`sh -n`) under busybox ash, dash and bash; so does
 * each script as it is sent (comment lines dropped, target-filesystem operations appended to their prelude).
 * A missing shell or shellcheck fails the test: it is never skipped.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { STOP_SCRIPT } from '../../../src/debug/stopDebugContainer';
import { DIAGNOSTICS_SCRIPT } from '../../../src/diagnostics/script';
import { shellScript } from '../../../src/shell/shellScript';
import { PROBE_SCRIPT, TARGETFS_SCRIPTS } from '../../../src/targetfs/protocol';
import { LIST_PROCESSES_SCRIPT } from '../../../src/terminal/targetProcess';

const src = join(__dirname, '..', '..', '..', 'src');
const SHELLS: readonly (readonly string[])[] = [['busybox', 'sh'], ['dash'], ['bash', '--posix']];

function shFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? shFiles(join(dir, e.name)) : e.name.endsWith('.sh') ? [join(dir, e.name)] : []));
}

/** A file's text as checked: a `# part of: X.sh` fragment is appended to X.sh, as the code sends it. */
function checkedText(file: string): string {
  const text = readFileSync(file, 'utf8');
  const base = /^# part of: (\S+\.sh)\n/.exec(text)?.[1];
  return base === undefined ? text : `${readFileSync(join(dirname(file), base), 'utf8')}\n${text}`;
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
    for (const dir of ['diagnostics', 'targetfs', 'terminal', 'launch/runtimes', 'debug']) assert.ok(dirs.has(dir), `no .sh file in src/${dir}: ${[...dirs].join(', ')}`);
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

  for (const shell of SHELLS) {
    it(`parses under ${shell.join(' ')} -n, as files and as sent`, () => {
      const sent: Record<string, string> = {
        'diagnostics (collect.sh)': DIAGNOSTICS_SCRIPT,
        'process listing': LIST_PROCESSES_SCRIPT,
        'stop debug container': STOP_SCRIPT,
        'target filesystem probe': PROBE_SCRIPT,
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

