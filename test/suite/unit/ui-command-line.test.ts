import assert from 'node:assert/strict';
import { envFromWords, formatCommandLine, formatEnvAssignments, normalizeCommand, normalizeEnv, parseEnvAssignments, splitCommandLine } from '../../../src/ui/pure/commandLine';

describe('ui: command line and env parsing', () => {
  it('splits like a shell without expanding anything', () => {
    assert.deepEqual(splitCommandLine(`sh -c "echo \\"hi\\" \${HOME}" 'a b' c\\ d`), { value: ['sh', '-c', 'echo "hi" ${HOME}', 'a b', 'c d'] });
    assert.deepEqual(splitCommandLine('   '), { value: [] });
    assert.deepEqual(splitCommandLine(`''`), { value: [''] });
    assert.match((splitCommandLine('sh -c "echo') as { error: string }).error, /unterminated double quote/);
    assert.match((splitCommandLine('a\\') as { error: string }).error, /trailing backslash/);
  });

  it('formats argv back so that it splits to the same argv', () => {
    const argv = ['sh', '-c', "echo 'quoted' $HOME", '', 'plain'];
    assert.deepEqual(splitCommandLine(formatCommandLine(argv)), { value: argv });
  });

  it('parses KEY=VALUE words, the last assignment winning', () => {
    assert.deepEqual(parseEnvAssignments('A=1 B="two words" C= A=3'), {
      value: [
        { name: 'B', value: 'two words' },
        { name: 'C', value: '' },
        { name: 'A', value: '3' },
      ],
    });
    assert.deepEqual(parseEnvAssignments(''), { value: [] });
    assert.match((parseEnvAssignments('JUSTNAME') as { error: string }).error, /is not KEY=VALUE/);
    assert.match((parseEnvAssignments('=value') as { error: string }).error, /needs a name/);
    assert.match((envFromWords(['A B=1']) as { error: string }).error, /invalid environment variable name/);
  });

  it('round-trips env through its input-box form', () => {
    const env = [
      { name: 'GREETING', value: "it's me" },
      { name: 'EMPTY', value: '' },
    ];
    assert.deepEqual(parseEnvAssignments(formatEnvAssignments(env)), { value: env });
  });

  it('normalises env and command given as arguments or settings', () => {
    assert.deepEqual(normalizeEnv({ A: 1, B: true, C: null }, 'env'), {
      value: [
        { name: 'A', value: '1' },
        { name: 'B', value: 'true' },
        { name: 'C', value: '' },
      ],
    });
    assert.deepEqual(normalizeEnv(['A=1', 'B=2'], 'env'), { value: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] });
    assert.deepEqual(normalizeEnv([{ name: 'A', value: 'x' }, { name: 'A', value: 'y' }], 'env'), { value: [{ name: 'A', value: 'y' }] });
    assert.match((normalizeEnv({ A: { nested: 1 } }, 'env') as { error: string }).error, /must be a string/);
    assert.match((normalizeEnv(42, 'env') as { error: string }).error, /must be an object/);
    assert.deepEqual(normalizeCommand('sleep 1d', 'command'), { value: ['sleep', '1d'] });
    assert.deepEqual(normalizeCommand(['sh'], 'command'), { value: ['sh'] });
    assert.match((normalizeCommand([1], 'command') as { error: string }).error, /list of strings/);
  });
});
