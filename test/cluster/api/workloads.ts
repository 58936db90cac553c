/**
 * apps/v1 (Deployment, StatefulSet, DaemonSet, ReplicaSet) and batch/v1 (Job) objects: the defaulting and the
 * validation a client can trip over (selector, template labels, a Job's restartPolicy), and the create, get,
 * list, watch and delete handlers. What the objects make (pods, ReplicaSets, status) is controllers.ts's.
 */
import type { ApiKind } from './discovery';
import { readBody, readObject, sendJson, type RequestContext } from './context';
import { defaultMetadata, defaultPod } from './defaults';
import { parseLabelSelector } from './selectors';
import { badRequest, conflict, fieldInvalid, fieldNotSupported, fieldRequired, invalid, notFound, type FieldError } from './status';
import type { Obj, WorkloadResource } from './store';
import { dns1123Subdomain } from './validation';

export interface WorkloadType {
  readonly resource: WorkloadResource;
  readonly kind: ApiKind;
  readonly group: 'apps' | 'batch';
}

export const WORKLOAD_TYPES: readonly WorkloadType[] = [
  { resource: 'deployments', kind: 'Deployment', group: 'apps' },
  { resource: 'statefulsets', kind: 'StatefulSet', group: 'apps' },
  { resource: 'daemonsets', kind: 'DaemonSet', group: 'apps' },
  { resource: 'replicasets', kind: 'ReplicaSet', group: 'apps' },
  { resource: 'jobs', kind: 'Job', group: 'batch' },
];

export function workloadType(group: string, resource: string): WorkloadType | undefined {
  return WORKLOAD_TYPES.find((t) => t.group === group && t.resource === resource);
}

/** `deployments.apps`: how the real server names the resource in messages. */
export const groupResource = (type: WorkloadType) => `${type.resource}.${type.group}`;

/** Defaulting as the real server's (the fields this cluster's controllers and clients read). */
export function defaultWorkload(type: WorkloadType, obj: Obj, namespace: string): Obj {
  obj.apiVersion = `${type.group}/v1`;
  obj.kind = type.kind;
  defaultMetadata(obj, namespace);
  obj.metadata.generation = 1;
  const spec = (obj.spec ??= {});
  if (type.kind !== 'DaemonSet' && type.kind !== 'Job') spec.replicas ??= 1;
  spec.template ??= {};
  spec.template.metadata ??= {};
  if (type.kind === 'Job') {
    // The Job controller's selector and labels (batch/v1 defaulting with manualSelector unset).
    const uid = obj.metadata.uid as string;
    const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': obj.metadata.name, 'controller-uid': uid, 'job-name': obj.metadata.name };
    spec.selector ??= { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
    spec.template.metadata.labels = { ...(spec.template.metadata.labels ?? {}), ...labels };
    spec.completions ??= 1;
    spec.parallelism ??= 1;
    spec.backoffLimit ??= 6;
    spec.completionMode ??= 'NonIndexed';
  }
  if (type.kind === 'Deployment') spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  if (type.kind === 'StatefulSet') spec.podManagementPolicy ??= 'OrderedReady';
  // The pod template gets the pod's defaults (restartPolicy, container pull policies, …), as on a real server.
  const template = defaultPod({ metadata: {}, spec: spec.template.spec ?? {} }, namespace);
  delete template.spec.nodeName;
  spec.template.spec = template.spec;
  obj.status = {};
  return obj;
}

export function validateWorkload(type: WorkloadType, obj: Obj): void {
  const errs: FieldError[] = [...dns1123Subdomain('metadata.name', obj.metadata?.name)];
  const spec = obj.spec ?? {};
  const selector = spec.selector;
  const labels: Record<string, string> = spec.template?.metadata?.labels ?? {};
  if (!selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)) {
    errs.push(fieldRequired('spec.selector'));
  } else if (!parseLabelSelector(selectorText(selector))(labels)) {
    errs.push(fieldInvalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  }
  if (!Array.isArray(spec.template?.spec?.containers) || spec.template.spec.containers.length === 0) {
    errs.push(fieldRequired('spec.template.spec.containers'));
  }
  const restart = spec.template?.spec?.restartPolicy;
  if (type.kind === 'Job' && restart !== 'Never' && restart !== 'OnFailure') {
    errs.push(fieldNotSupported('spec.template.spec.restartPolicy', restart, ['OnFailure', 'Never']));
  } else if (type.kind !== 'Job' && restart !== 'Always') {
    errs.push(fieldNotSupported('spec.template.spec.restartPolicy', restart, ['Always']));
  }
  if (typeof spec.replicas === 'number' && spec.replicas < 0) errs.push(fieldInvalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  if (errs.length) throw invalid(type.kind, String(obj.metadata?.name ?? ''), errs, type.group);
}

/** A LabelSelector object as query text, for the selector parser (and the controllers). */
export function selectorText(selector: Obj | undefined): string {
  const parts = Object.entries((selector?.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`);
  for (const e of (selector?.matchExpressions ?? []) as Obj[]) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

export async function createWorkload(ctx: RequestContext, type: WorkloadType, ns: string): Promise<void> {
  const body = await readObject(ctx.req);
  if (body.metadata?.namespace && body.metadata.namespace !== ns) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (!ctx.store.getNamespace(ns)) throw notFound('namespaces', ns);
  const obj = defaultWorkload(type, body, ns);
  validateWorkload(type, obj);
  sendJson(ctx.res, 201, ctx.store.createObject(type.resource, obj));
}

export function getWorkload(ctx: RequestContext, type: WorkloadType, ns: string, name: string): void {
  const obj = ctx.store.getObject(type.resource, ns, name);
  if (!obj) throw notFound(groupResource(type), name);
  sendJson(ctx.res, 200, obj);
}

/**
 * PUT of an apps/v1 object (a scale, a new template: a rollout): the spec is replaced and defaulted, metadata keeps
 * what the server owns, the status stays the controller's; generation counts spec changes.
 */
export async function replaceWorkload(ctx: RequestContext, type: WorkloadType, ns: string, name: string): Promise<void> {
  const body = await readObject(ctx.req);
  const old = ctx.store.getObject(type.resource, ns, name);
  if (!old) throw notFound(groupResource(type), name);
  if (body.metadata?.name !== name) throw badRequest(`the name of the object (${body.metadata?.name ?? ''}) does not match the name on the URL (${name})`);
  const rv = body.metadata?.resourceVersion;
  if (rv && rv !== old.metadata.resourceVersion) {
    throw conflict(groupResource(type), name, 'the object has been modified; please apply your changes to the latest version and try again');
  }
  const spec = defaultWorkload(type, JSON.parse(JSON.stringify(body)) as Obj, ns).spec;
  const changed = JSON.stringify(spec) !== JSON.stringify(old.spec);
  const next: Obj = {
    ...old,
    metadata: { ...old.metadata, labels: body.metadata?.labels, annotations: body.metadata?.annotations, generation: old.metadata.generation + (changed ? 1 : 0) },
    spec,
  };
  validateWorkload(type, next);
  sendJson(ctx.res, 200, ctx.store.replaceObject(type.resource, next));
}

/** Background propagation whatever was asked: the object goes now, the controllers delete what it owned. */
export async function deleteWorkload(ctx: RequestContext, type: WorkloadType, ns: string, name: string): Promise<void> {
  await readBody(ctx.req);
  if (!ctx.store.getObject(type.resource, ns, name)) throw notFound(groupResource(type), name);
  sendJson(ctx.res, 200, ctx.store.deleteObject(type.resource, ns, name));
}
