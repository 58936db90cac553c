/**
 * Just enough of the Kubernetes protobuf encoding to read a SelfSubjectAccessReview and a
 * SelfSubjectRulesReview: kubectl auth can-i (and --list) sends only protobuf for authorization.k8s.io and does
 * not retry with JSON after a 415.
 */
import { badRequest } from './status';
import type { Obj } from './store';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

/** Fields of one message: field number → raw length-delimited values (varints are skipped). */
function fields(buf: Buffer): Map<number, Buffer[]> {
  const out = new Map<number, Buffer[]>();
  let i = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (i >= buf.length) throw badRequest('truncated protobuf');
      const b = buf[i++];
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return result;
      shift += 7;
    }
  };
  while (i < buf.length) {
    const tag = varint();
    const wire = tag & 7;
    const field = Math.floor(tag / 8);
    if (wire === 0) varint();
    else if (wire === 2) {
      const len = varint();
      const v = buf.subarray(i, i + len);
      i += len;
      out.set(field, [...(out.get(field) ?? []), v]);
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw badRequest('unsupported protobuf wire type');
  }
  return out;
}

const str = (f: Map<number, Buffer[]>, n: number) => f.get(n)?.[0]?.toString('utf8');
const sub = (f: Map<number, Buffer[]>, n: number) => {
  const b = f.get(n)?.[0];
  return b ? fields(b) : undefined;
};

/** The spec (field 2) of the object in a runtime.Unknown envelope (its raw bytes are field 2). */
function envelopeSpec(body: Buffer, kind: string): Map<number, Buffer[]> {
  if (!body.subarray(0, 4).equals(MAGIC)) throw badRequest('the body is not a Kubernetes protobuf message');
  const raw = sub(fields(body.subarray(4)), 2);
  const spec = raw && sub(raw, 2);
  if (!spec) throw badRequest(`the ${kind} has no spec`);
  return spec;
}

/** Decodes an application/vnd.kubernetes.protobuf SelfSubjectRulesReview into its JSON form. */
export function decodeSelfSubjectRulesReview(body: Buffer): Obj {
  const namespace = str(envelopeSpec(body, 'SelfSubjectRulesReview'), 1);
  return { spec: namespace ? { namespace } : {} };
}

/** Decodes an application/vnd.kubernetes.protobuf SelfSubjectAccessReview into its JSON form. */
export function decodeSelfSubjectAccessReview(body: Buffer): Obj {
  const spec = envelopeSpec(body, 'SelfSubjectAccessReview');
  const ra = sub(spec, 1);
  const nra = sub(spec, 2);
  const drop = (o: Obj) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));
  return {
    spec: {
      ...(ra ? { resourceAttributes: drop({ namespace: str(ra, 1), verb: str(ra, 2), group: str(ra, 3), version: str(ra, 4), resource: str(ra, 5), subresource: str(ra, 6), name: str(ra, 7) }) } : {}),
      ...(nra ? { nonResourceAttributes: drop({ path: str(nra, 1), verb: str(nra, 2) }) } : {}),
    },
  };
}
