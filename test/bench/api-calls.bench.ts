/**
 * API calls in a burst: 100 sequential reads of a pod through our facade (createClusterApi: one kept-alive
 * connection pool per context) against the same reads through client-node as it ships (`makeApiClient`, a new
 * connection pool per request, so a TCP + TLS handshake per call), in the same run on the same cluster. Both go
 * through a counting relay in front of the API server, which adds the same small hop to each side and counts the
 * connections each burst opened. `BENCH_RUNS` (default 5) bursts per side, alternating; calls per second of each
 * burst and the p50 latency over all calls.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { createClusterApi } from '../../src/cluster/client';
import { startCountingProxy } from '../suite/extension/helpers/countingProxy';
import { withBenchCluster } from './benchCluster';
import { printTable, ratioLine, runBenchmark, type Series } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BURST = 100;

async function main(): Promise<void> {
  await withBenchCluster({}, async ({ cluster, onCleanup }) => {
    const proxy = await startCountingProxy(cluster.server);
    onCleanup(() => proxy.close());
    const kc = proxy.kubeConfig(cluster.kubeConfig());
    const ours = createClusterApi(kc);
    const shipped = kc.makeApiClient(CoreV1Api);
    const sides = [
      { label: 'extension, createClusterApi (one kept-alive pool per context)', read: () => ours.readNamespace('demo') },
      { label: 'client-node as shipped, makeApiClient (a pool per request)', read: () => shipped.readNamespace({ name: 'demo' }) },
    ];
    const rates = sides.map(() => [] as number[]);
    const latencies = sides.map(() => [] as number[]);
    const connections = sides.map(() => [] as number[]);
    for (const side of sides) await side.read(); // warm: modules, TLS session set-up of each
    for (let run = 0; run < RUNS; run++) {
      for (const [i, side] of sides.entries()) {
        const opened = proxy.opened;
        const started = performance.now();
        for (let k = 0; k < BURST; k++) {
          const t = performance.now();
          await side.read();
          latencies[i]!.push(performance.now() - t);
        }
        rates[i]!.push(BURST / ((performance.now() - started) / 1000));
        connections[i]!.push(proxy.opened - opened);
      }
    }
    const series = (values: number[][]): Series[] => sides.map((s, i) => ({ label: s.label, values: values[i]! }));
    printTable(`${BURST} sequential reads (GET namespace): calls per second per burst (higher is better)`, 'calls/s', series(rates));
    console.log(ratioLine('extension / client-node as shipped, calls per second', rates[0]!, rates[1]!, true));
    console.log('');
    printTable(`latency of one read, over all ${RUNS * BURST} calls per side`, 'ms', series(latencies));
    console.log(ratioLine('extension / client-node as shipped, p50 latency', latencies[0]!, latencies[1]!));
    console.log('');
    printTable(`TCP connections opened per burst of ${BURST}`, 'connections', series(connections));
  });
}

runBenchmark(main);
