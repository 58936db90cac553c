/** SelfSubjectAccessReview, SelfSubjectRulesReview and SelfSubjectReview, answered from the RBAC rules. */
import { readObject, readRaw, type RequestContext, sendJson } from './context';
import { decodeSelfSubjectAccessReview, decodeSelfSubjectRulesReview } from './protobuf';
import { authorizeNonResource, authorizeResource, rulesReview } from './rbac';
import { badRequest, invalid, fieldRequired, noSuchResource } from './status';

export async function selfSubjectAccessReview(ctx: RequestContext): Promise<void> {
  const body = /protobuf/.test(ctx.req.headers['content-type'] ?? '')
    ? decodeSelfSubjectAccessReview(await readRaw(ctx.req))
    : await readObject(ctx.req);
  const spec = body.spec ?? {};
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  if (!ra && !nra) {
    throw invalid('SelfSubjectAccessReview', '', [fieldRequired('spec.resourceAttributes', 'exactly one of nonResourceAttributes or resourceAttributes must be specified')], 'authorization.k8s.io');
  }
  const decision = ra
    ? authorizeResource(ctx.user, {
      verb: ra.verb ?? '', group: ra.group ?? '', resource: ra.resource ?? '', subresource: ra.subresource || undefined,
      namespace: ra.namespace || undefined, name: ra.name || undefined,
    })
    : authorizeNonResource(ctx.user, { verb: nra.verb ?? '', path: nra.path ?? '' });
  sendJson(ctx.res, 201, {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
  });
}

export async function selfSubjectRulesReview(ctx: RequestContext): Promise<void> {
  const body = /protobuf/.test(ctx.req.headers['content-type'] ?? '')
    ? decodeSelfSubjectRulesReview(await readRaw(ctx.req))
    : await readObject(ctx.req);
  if (!body.spec?.namespace) throw badRequest('no namespace on request');
  sendJson(ctx.res, 201, {
    kind: 'SelfSubjectRulesReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: body.spec,
    status: { ...rulesReview(ctx.user), incomplete: false },
  });
}

export async function selfSubjectReview(ctx: RequestContext): Promise<void> {
  await readObject(ctx.req).catch(() => ({}));
  sendJson(ctx.res, 201, {
    kind: 'SelfSubjectReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { creationTimestamp: null },
    status: { userInfo: { username: ctx.user.username, uid: ctx.user.uid, groups: ctx.user.groups } },
  });
}

export function reviewHandler(group: string, resource: string): ((ctx: RequestContext) => Promise<void>) {
  if (group === 'authorization.k8s.io' && resource === 'selfsubjectaccessreviews') return selfSubjectAccessReview;
  if (group === 'authorization.k8s.io' && resource === 'selfsubjectrulesreviews') return selfSubjectRulesReview;
  if (group === 'authentication.k8s.io' && resource === 'selfsubjectreviews') return selfSubjectReview;
  throw noSuchResource();
}
