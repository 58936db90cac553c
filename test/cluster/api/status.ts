/**
 * metav1.Status errors, shaped exactly like the real API server's (clients such as kubectl and client-node
 * branch on `reason`, `code` and `details`), and a thrown form so handlers can bail out anywhere.
 */

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details: StatusDetails;
  code: number;
}

export function status(code: number, reason: string, message: string, details: StatusDetails = {}): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

/** A Status to send back; thrown by handlers and turned into the HTTP response by the router. */
export class ApiError extends Error {
  constructor(readonly status: Status, readonly headers: Record<string, string> = {}) {
    super(status.message);
  }
  get code(): number {
    return this.status.code;
  }
}

/** `kind` in details is the resource (plural), as the real server reports it (e.g. "pods"). */
export const notFound = (resource: string, name: string): ApiError =>
  new ApiError(status(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource }));

export const alreadyExists = (resource: string, name: string): ApiError =>
  new ApiError(status(409, 'AlreadyExists', `${resource} "${name}" already exists`, { name, kind: resource }));

export const conflict = (resource: string, name: string, why: string): ApiError =>
  new ApiError(status(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": ${why}`, { name, kind: resource }));

export const badRequest = (message: string): ApiError => new ApiError(status(400, 'BadRequest', message));

export const unauthorized = (): ApiError => new ApiError(status(401, 'Unauthorized', 'Unauthorized'));

export const forbidden = (message: string, details: StatusDetails = {}): ApiError =>
  new ApiError(status(403, 'Forbidden', message, details));

/** What the server answers for a path or resource it does not serve (also: a disabled subresource). */
export const noSuchResource = (): ApiError =>
  new ApiError(status(404, 'NotFound', 'the server could not find the requested resource'));

export const methodNotAllowed = (method: string): ApiError =>
  new ApiError(status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, {}), {
    Allow: method,
  });

export const unsupportedMediaType = (accepted: string[]): ApiError =>
  new ApiError(status(415, 'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`));

export const gone = (message: string): ApiError => new ApiError(status(410, 'Expired', message));

export const internal = (message: string): ApiError =>
  new ApiError(status(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ reason: '', message }] }));

/** A field.Error as the validation code builds it; `message` is the part after the field path. */
export interface FieldError {
  field: string;
  type: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueDuplicate' | 'FieldValueForbidden' | 'FieldValueNotFound'
    | 'FieldValueNotSupported' | 'FieldValueTooLong';
  /** e.g. `Invalid value: "X": must be ...`, `Required value`, `Forbidden: cannot be set ...`. */
  detail: string;
}

/** 422 Invalid: `Pod "x" is invalid: [a, b]` (brackets only for several errors), one cause per field error. */
export function invalid(kind: string, name: string, errors: FieldError[], group = ''): ApiError {
  const parts = errors.map((e) => `${e.field}: ${e.detail}`);
  const joined = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new ApiError(status(422, 'Invalid', `${kind} "${name}" is invalid: ${joined}`, {
    name,
    group: group || undefined,
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.detail, field: e.field })),
  }));
}

export const fieldInvalid = (field: string, value: unknown, why: string): FieldError =>
  ({ field, type: 'FieldValueInvalid', detail: `Invalid value: ${JSON.stringify(value)}: ${why}` });
export const fieldRequired = (field: string, why = ''): FieldError =>
  ({ field, type: 'FieldValueRequired', detail: why ? `Required value: ${why}` : 'Required value' });
export const fieldDuplicate = (field: string, value: unknown): FieldError =>
  ({ field, type: 'FieldValueDuplicate', detail: `Duplicate value: ${JSON.stringify(value)}` });
export const fieldForbidden = (field: string, why: string): FieldError =>
  ({ field, type: 'FieldValueForbidden', detail: `Forbidden: ${why}` });
export const fieldNotFound = (field: string, value: unknown): FieldError =>
  ({ field, type: 'FieldValueNotFound', detail: `Not found: ${JSON.stringify(value)}` });
export const fieldNotSupported = (field: string, value: unknown, supported: string[]): FieldError =>
  ({ field, type: 'FieldValueNotSupported', detail: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` });
