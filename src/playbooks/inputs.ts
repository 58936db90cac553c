/**
 * Default values of a playbook's inputs, completed from the target container's spec: placeholders
 * `{{port}}` (its first containerPort), `{{readinessPort}}` and `{{readinessPath}}` (its HTTP readiness probe's port and path, else the first port and `/`),
 * `{{env:NAME}}` (a literal env value of its spec) and `{{dbEndpoint}}` (host:port from a database URL or
 * *_HOST/*_PORT variables). Only the spec is read: values from Secrets or ConfigMaps stay unresolved (empty).
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { Playbook } from './types';

const DB_URL = /^(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|sqlserver|jdbc:[a-z]+):\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/?#,]+)(?::(\d+))?/i;
const DEFAULT_DB_PORTS: Readonly<Record<string, string>> = { postgres: '5432', postgresql: '5432', mysql: '3306', mariadb: '3306', mongodb: '27017', redis: '6379', rediss: '6379', sqlserver: '1433' };

export function targetContainerSpec(pod: V1Pod, container: string | undefined): V1Container | undefined {
  const containers = pod.spec?.containers ?? [];
  return containers.find((c) => c.name === container) ?? (container === undefined ? containers[0] : undefined);
}

function literalEnv(container: V1Container | undefined): Map<string, string> {
  return new Map((container?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? '']));
}

/** host:port of the first database the container's env points at, or ''. */
export function databaseEndpoint(container: V1Container | undefined): string {
  const env = literalEnv(container);
  for (const value of env.values()) {
    const m = DB_URL.exec(value.trim());
    if (m) {
      const scheme = value.trim().replace(/^jdbc:/i, '').split(':')[0]!.toLowerCase();
      const port = m[2] ?? DEFAULT_DB_PORTS[scheme];
      if (port !== undefined) return `${m[1]}:${port}`;
    }
  }
  for (const [name, value] of env) {
    const prefix = /^(.*(?:DB|DATABASE|POSTGRES|PG|MYSQL|REDIS|MONGO)[A-Z_]*?)_?HOST$/i.exec(name)?.[1];
    if (prefix !== undefined && value !== '') {
      const port = env.get(`${prefix}_PORT`) ?? env.get(`${prefix}PORT`);
      if (port !== undefined && /^\d+$/.test(port)) return `${value}:${port}`;
    }
  }
  return '';
}

export function fillPlaceholders(template: string, pod: V1Pod, container: string | undefined): string {
  const spec = targetContainerSpec(pod, container);
  const env = literalEnv(spec);
  return template.replace(/\{\{\s*([a-zA-Z]+)(?::([A-Za-z_][A-Za-z0-9_]*))?\s*\}\}/g, (whole, key: string, arg: string | undefined) => {
    switch (key) {
      case 'port':
        return String(spec?.ports?.[0]?.containerPort ?? 80);
      case 'readinessPort': {
        const port = spec?.readinessProbe?.httpGet?.port;
        const named = typeof port === 'string' ? spec?.ports?.find((p) => p.name === port)?.containerPort : port;
        return String(named ?? spec?.ports?.[0]?.containerPort ?? 80);
      }
      case 'readinessPath':
        return spec?.readinessProbe?.httpGet?.path ?? '/';
      case 'env':
        return arg === undefined ? '' : (env.get(arg) ?? '');
      case 'dbEndpoint':
        return databaseEndpoint(spec);
      default:
        return whole;
    }
  });
}

/** Each input's default with its placeholders filled in ('' when it has none). */
export function defaultInputs(playbook: Playbook, pod: V1Pod, container: string | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const input of playbook.inputs ?? []) {
    values[input.name] = fillPlaceholders(input.default ?? '', pod, container);
  }
  return values;
}
