/** The bench runner's verdicts (test/bench/verdicts.ts): ratios parsed per table, stability across runs. */
import assert from 'node:assert/strict';
import { ratiosOf, verdictsStable, verdictTable } from '../../bench/verdicts';

const run = (readFile: string, list: string): string => [
  '| readFile 64 MiB, busybox debug image (1 exec per operation) | runs | min ms | median ms | max ms |',
  `ratio extension / raw exec cat, same client (medians): ${readFile}×`,
  '| readDirectory of 10,000 entries, busybox debug image (1 exec per operation) | runs | min ms | median ms | max ms |',
  `ratio extension / kubectl exec ls -la (medians): ${list}×`,
  '| readFile 64 MiB, ubuntu (GNU) debug image (1 exec per operation) | runs | min ms | median ms | max ms |',
  'ratio extension / kubectl cp (medians): 0.90×',
].join('\n');

describe('bench verdicts', () => {
  it('keys each ratio by the table it follows', () => {
    const ratios = ratiosOf(run('1.05', '0.95'));
    assert.equal(ratios.get('readFile 64 MiB, busybox debug image (1 exec per operation) :: extension / raw exec cat, same client'), 1.05);
    assert.equal(ratios.size, 3);
  });

  it('is stable only when the last two runs agree on every targeted verdict', () => {
    assert.equal(verdictsStable([ratiosOf(run('1.05', '0.95'))]), false, 'one run decides nothing');
    assert.equal(verdictsStable([ratiosOf(run('1.05', '0.95')), ratiosOf(run('1.09', '0.80'))]), true);
    assert.equal(verdictsStable([ratiosOf(run('1.05', '0.95')), ratiosOf(run('1.20', '0.80'))]), false, 'readFile moved across 1.10');
    const table = verdictTable([ratiosOf(run('1.05', '0.95')), ratiosOf(run('1.20', '1.20'))]);
    assert.match(table, /raw exec cat, same client \| 2 \| 1\.05× \| 1\.13× \| 1\.20× \| ≤ 1\.10× \| unstable/);
    assert.match(table, /kubectl cp \| 2 \| .* \| — \| — \|/);
  });
});
