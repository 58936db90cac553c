/** Pod endpoints: create, get, delete, logs, and the ephemeralcontainers subresource. */
import type { V1Pod } from '@kubernetes/client-node';
import { KubeletError, type LogOptions } from '../contracts';
import { boolParam, intParam, readBody, readObject, type RequestContext, sendJson } from './context';
import { defaultContainer } from './defaults';
import { sendObject } from './list';
import { applyPatch } from './patch';
import { enforcePodSecurity } from './pod-security';
import { ApiError, badRequest, conflict, fieldForbidden, invalid, noSuchResource, notFound, status } from './status';
import type { Obj } from './store';
import { pruneEphemeralContainer, validateEphemeralContainersUpdate } from './validation';

function mustGet(ctx: RequestContext, ns: string, name: string): Obj {
  const pod = ctx.store.getPod(ns, name);
  if (!pod) throw notFound('pods', name);
  return pod as Obj;
}

export async function createPod(ctx: RequestContext, ns: string): Promise<void> {
  const body = await readObject(ctx.req);
  if (body.metadata?.namespace && body.metadata.namespace !== ns) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (!ctx.store.getNamespace(ns)) throw notFound('namespaces', ns);
  body.metadata = { ...(body.metadata ?? {}), namespace: ns };
  const nsObj = ctx.store.getNamespace(ns) as Obj;
  const created = ctx.store.createPod(body as V1Pod, (pod) => enforcePodSecurity(nsObj, pod));
  sendObject(ctx, 'Pod', created as Obj, 201);
}

export function getPod(ctx: RequestContext, ns: string, name: string): void {
  sendObject(ctx, 'Pod', mustGet(ctx, ns, name));
}

export async function deletePod(ctx: RequestContext, ns: string, name: string): Promise<void> {
  const text = await readBody(ctx.req);
  let options: Obj = {};
  if (text.trim()) {
    try { options = JSON.parse(text) as Obj; } catch { throw badRequest('error decoding DeleteOptions'); }
  }
  const grace = intParam(ctx.url, 'gracePeriodSeconds') ?? (typeof options.gracePeriodSeconds === 'number' ? options.gracePeriodSeconds : undefined);
  const pod = mustGet(ctx, ns, name);
  const pre = options.preconditions ?? {};
  if (pre.uid && pre.uid !== pod.metadata.uid) {
    throw conflict('pods', name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${pod.metadata.uid}`);
  }
  if (pre.resourceVersion && pre.resourceVersion !== pod.metadata.resourceVersion) {
    throw conflict('pods', name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${pod.metadata.resourceVersion}`);
  }
  sendJson(ctx.res, 200, ctx.store.deletePod(ns, name, grace));
}

/**
 * PATCH of a pod: its labels and annotations (kubectl label / annotate); the loopback changes nothing else of a
 * pod this way (the real server allows a few more fields: images, tolerations, activeDeadlineSeconds).
 */
export async function patchPodMetadata(ctx: RequestContext, ns: string, name: string): Promise<void> {
  const body = await readBody(ctx.req);
  const old = mustGet(ctx, ns, name);
  const patched = applyPatch(ctx.req.headers['content-type'], old, body);
  const rv = patched.metadata?.resourceVersion;
  if (rv && rv !== old.metadata.resourceVersion) {
    throw conflict('pods', name, 'the object has been modified; please apply your changes to the latest version and try again');
  }
  const { labels, annotations } = patched.metadata ?? {};
  const fixed = (p: Obj): string => JSON.stringify({ ...p, metadata: { ...p.metadata, labels: undefined, annotations: undefined, resourceVersion: undefined } });
  if (fixed(patched) !== fixed(old)) {
    throw new ApiError(status(422, 'Invalid', `Pod "${name}" is invalid: the loopback cluster changes only metadata.labels and metadata.annotations of a pod by PATCH`));
  }
  for (const [key, value] of Object.entries({ ...labels, ...annotations })) {
    if (typeof value !== 'string') throw new ApiError(status(422, 'Invalid', `Pod "${name}" is invalid: metadata: the value of ${key} must be a string`));
  }
  const next: Obj = JSON.parse(JSON.stringify(old));
  next.metadata.labels = labels;
  next.metadata.annotations = annotations;
  sendObject(ctx, 'Pod', ctx.store.replacePod(next as V1Pod) as Obj);
}

// ---- pods/ephemeralcontainers ----

function ensureEnabled(ctx: RequestContext): void {
  // As on a cluster without the feature: the subresource simply does not exist (kubectl checks for this).
  if (!ctx.settings.ephemeralContainersEnabled) throw noSuchResource();
}

export function getEphemeral(ctx: RequestContext, ns: string, name: string): void {
  ensureEnabled(ctx);
  sendJson(ctx.res, 200, mustGet(ctx, ns, name));
}

/**
 * The ephemeralcontainers update strategy: only spec.ephemeralContainers is taken from the new object,
 * then validation, Pod Security over the whole resulting pod, and the store.
 */
function updateEphemeral(ctx: RequestContext, old: Obj, incoming: Obj): Obj {
  const name = old.metadata.name as string;
  const rv = incoming.metadata?.resourceVersion;
  if (rv && rv !== old.metadata.resourceVersion) {
    throw conflict('pods', name, 'the object has been modified; please apply your changes to the latest version and try again');
  }
  const list = incoming.spec?.ephemeralContainers;
  const next: Obj = JSON.parse(JSON.stringify(old));
  next.spec.ephemeralContainers = Array.isArray(list) ? list.map((c: Obj) => {
    const pruned = pruneEphemeralContainer(c);
    defaultContainer(pruned, true);
    return pruned;
  }) : [];
  if (next.spec.ephemeralContainers.length === 0 && !old.spec.ephemeralContainers) delete next.spec.ephemeralContainers;
  if (old.metadata.annotations?.['kubernetes.io/config.mirror'] && next.spec.ephemeralContainers?.length) {
    throw invalid('Pod', name, [fieldForbidden('spec.ephemeralContainers', 'static pods do not support ephemeral containers')]);
  }
  validateEphemeralContainersUpdate(next, old);
  if (JSON.stringify(next.spec.ephemeralContainers ?? []) === JSON.stringify(old.spec.ephemeralContainers ?? [])) return old;
  enforcePodSecurity(ctx.store.getNamespace(old.metadata.namespace) as Obj | undefined, next);
  return ctx.store.replacePod(next as V1Pod) as Obj;
}

export async function patchEphemeral(ctx: RequestContext, ns: string, name: string): Promise<void> {
  ensureEnabled(ctx);
  const body = await readBody(ctx.req);
  const old = mustGet(ctx, ns, name);
  const patched = applyPatch(ctx.req.headers['content-type'], old, body);
  if (patched.metadata?.name !== undefined && patched.metadata.name !== name) {
    throw badRequest(`the name of the object (${patched.metadata.name}) does not match the name on the URL (${name})`);
  }
  sendJson(ctx.res, 200, updateEphemeral(ctx, old, patched));
}

export async function putEphemeral(ctx: RequestContext, ns: string, name: string): Promise<void> {
  ensureEnabled(ctx);
  const body = await readObject(ctx.req);
  if (body.metadata?.name !== name) {
    throw badRequest(`the name of the object (${body.metadata?.name ?? ''}) does not match the name on the URL (${name})`);
  }
  const old = mustGet(ctx, ns, name);
  sendJson(ctx.res, 200, updateEphemeral(ctx, old, body));
}

// ---- pods/log ----

const names = (cs: Obj[] | undefined) => (cs ?? []).map((c) => c.name).join(' ');

/** The container a log request is for, with the real server's errors when it is missing or unknown. */
export function logContainer(pod: Obj, requested: string | null): string {
  const name = pod.metadata.name;
  if (!requested) {
    const cs = pod.spec.containers ?? [];
    if (cs.length === 1) return cs[0].name;
    if (cs.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    let msg = `a container name must be specified for pod ${name}, choose one of: [${names(cs)}]`;
    if (pod.spec.initContainers?.length) msg += ` or one of the init containers: [${names(pod.spec.initContainers)}]`;
    if (pod.spec.ephemeralContainers?.length) msg += ` or one of the ephemeral containers: [${names(pod.spec.ephemeralContainers)}]`;
    throw badRequest(msg);
  }
  const all = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? []), ...(pod.spec.ephemeralContainers ?? [])];
  if (!all.some((c: Obj) => c.name === requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

export async function podLogs(ctx: RequestContext, ns: string, name: string): Promise<void> {
  const pod = mustGet(ctx, ns, name);
  const container = logContainer(pod, ctx.url.searchParams.get('container'));
  const kubelet = ctx.settings.kubelet;
  if (!kubelet) throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
  const options: LogOptions = {
    follow: boolParam(ctx.url, 'follow'),
    previous: boolParam(ctx.url, 'previous'),
    timestamps: boolParam(ctx.url, 'timestamps'),
    tailLines: intParam(ctx.url, 'tailLines'),
    sinceSeconds: intParam(ctx.url, 'sinceSeconds'),
    limitBytes: intParam(ctx.url, 'limitBytes'),
  };
  let stream;
  try {
    stream = await kubelet.logs(ns, name, container, options);
  } catch (e) {
    if (e instanceof KubeletError) throw new ApiError(status(e.code, e.reason, e.message));
    throw e;
  }
  const { res, req } = ctx;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  const close = () => {
    ctx.streams.delete(close);
    stream.destroy();
    if (!res.writableEnded) res.end();
  };
  ctx.streams.add(close);
  req.on('close', close);
  stream.on('error', close);
  stream.on('end', close);
  stream.pipe(res, { end: false });
}
