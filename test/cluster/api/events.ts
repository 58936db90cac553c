/**
 * Events as the API server keeps them: created through events.k8s.io/v1 (validated as
 * pkg/apis/core/validation/events.go does for that version), listed through both events.k8s.io/v1 and core/v1
 * (the same objects, converted), with the field selectors kubectl uses (`involvedObject.name=…`). The
 * loopback's own components post none; what is here is what clients created. Not watched: nothing asks.
 */
import { randomUUID } from 'node:crypto';
import { dns1123Subdomain } from './validation';
import { alreadyExists, badRequest, type FieldError, fieldInvalid, fieldNotSupported, fieldRequired, invalid } from './status';
import { now, type Obj } from './store';

/** MicroTime as Go parses it: RFC 3339 with exactly six fraction digits. */
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export class EventLog {
  private readonly events: Obj[] = [];

  constructor(private readonly nextRv: () => number) {}

  /** POST /apis/events.k8s.io/v1/namespaces/{namespace}/events. */
  create(namespace: string, body: Obj): Obj {
    const name = body.metadata?.name ?? '';
    const errors = validateEvent(namespace, body);
    if (errors.length > 0) throw invalid('Event', name, errors, 'events.k8s.io');
    if (this.events.some((e) => e.metadata.namespace === namespace && e.metadata.name === name)) throw alreadyExists('events.events.k8s.io', name);
    const stored: Obj = {
      ...body,
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { ...body.metadata, namespace, uid: randomUUID(), resourceVersion: String(this.nextRv()), creationTimestamp: now() },
    };
    this.events.push(stored);
    return stored;
  }

  /** The events.k8s.io/v1 list (`regarding.*` field selectors). */
  list(namespace: string | undefined, fieldSelector: string | null, rv: number): Obj {
    const items = this.select(namespace, fieldSelector, (e, field) => (field.startsWith('regarding.') ? e.regarding?.[field.slice('regarding.'.length)] : undefined));
    return { kind: 'EventList', apiVersion: 'events.k8s.io/v1', metadata: { resourceVersion: String(rv) }, items };
  }

  /** The core/v1 list of the same events (`involvedObject.*` field selectors), converted as the server does. */
  listCore(namespace: string | undefined, fieldSelector: string | null, rv: number): Obj {
    const items = this.select(namespace, fieldSelector, (e, field) => (field.startsWith('involvedObject.') ? e.regarding?.[field.slice('involvedObject.'.length)] : field === 'reason' ? e.reason : undefined))
      .map(toCoreEvent);
    return { kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items };
  }

  private select(namespace: string | undefined, fieldSelector: string | null, field: (e: Obj, name: string) => unknown): Obj[] {
    const requirements = parseFieldSelector(fieldSelector);
    return this.events.filter((e) =>
      (namespace === undefined || e.metadata.namespace === namespace)
      && requirements.every(({ name, value, equal }) => (String(field(e, name) ?? '') === value) === equal));
  }
}

function validateEvent(namespace: string, e: Obj): FieldError[] {
  const errors: FieldError[] = [];
  if (e.metadata?.namespace !== undefined && e.metadata.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  errors.push(...dns1123Subdomain('metadata.name', e.metadata?.name));
  if (typeof e.eventTime !== 'string' || e.eventTime === '') errors.push(fieldRequired('eventTime'));
  else if (!MICRO_TIME.test(e.eventTime)) {
    // What the real server answers when the JSON does not decode into a MicroTime.
    throw badRequest(`Event in version "v1" cannot be handled as a Event: parsing time "${e.eventTime}" as "2006-01-02T15:04:05.000000Z07:00": cannot parse`);
  }
  if (typeof e.reportingController !== 'string' || e.reportingController === '') errors.push(fieldRequired('reportingController'));
  else if (!QUALIFIED_NAME.test(e.reportingController)) errors.push(fieldInvalid('reportingController', e.reportingController, 'must be a qualified name'));
  for (const [field, limit] of [['reportingInstance', 128], ['action', 128], ['reason', 128]] as const) {
    const value = e[field];
    if (typeof value !== 'string' || value === '') errors.push(fieldRequired(field));
    else if (value.length > limit) errors.push(fieldInvalid(field, '', `can have at most ${limit} characters`));
  }
  if (typeof e.note === 'string' && Buffer.byteLength(e.note) > 1024) errors.push(fieldInvalid('note', '', 'can have at most 1024 characters'));
  if (e.type !== 'Normal' && e.type !== 'Warning') errors.push(fieldNotSupported('type', e.type ?? '', ['Normal', 'Warning']));
  if (e.regarding?.namespace !== undefined && e.regarding.namespace !== namespace) {
    errors.push(fieldInvalid('regarding.namespace', e.regarding.namespace, 'does not match event.namespace'));
  }
  return errors;
}

function toCoreEvent(e: Obj): Obj {
  return {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: e.metadata,
    involvedObject: e.regarding ?? {},
    ...(e.related ? { related: e.related } : {}),
    reason: e.reason,
    message: e.note,
    type: e.type,
    action: e.action,
    eventTime: e.eventTime,
    reportingComponent: e.reportingController,
    reportingInstance: e.reportingInstance,
    source: {},
    firstTimestamp: null,
    lastTimestamp: null,
  };
}

function parseFieldSelector(selector: string | null): { name: string; value: string; equal: boolean }[] {
  if (!selector) return [];
  return selector.split(',').filter(Boolean).map((term) => {
    const match = /^([^!=]+)(==|=|!=)(.*)$/.exec(term);
    if (!match) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    return { name: match[1].trim(), value: match[3].trim(), equal: match[2] !== '!=' };
  });
}
