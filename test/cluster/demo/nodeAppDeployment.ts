/**
 * A Deployment of the demo's node-app image (distroless Node.js, readiness on its own port, as the demo pod):
 * what workload tests debug, on the loopback and the real node alike. No imports beyond types, so the host
 * suite's bundle can take it too.
 */
import type { V1Deployment } from '@kubernetes/client-node';

export function nodeAppDeployment(name: string, replicas = 1): V1Deployment & { metadata: { name: string } } {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          // Deleted pods go at once: tests replace pods and clean up without waiting out 30 s.
          terminationGracePeriodSeconds: 1,
          containers: [{
            name: 'app', image: 'loopback.local/demo/node-app:1.0',
            ports: [{ name: 'http', containerPort: 8080 }, { name: 'health', containerPort: 8081 }],
            readinessProbe: { httpGet: { path: '/healthz', port: 'health' }, periodSeconds: 2 },
          }],
        },
      },
    },
  };
}
