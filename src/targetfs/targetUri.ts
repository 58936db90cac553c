/**
 * The `k8s-target` URI of a path in a target container's filesystem, vscode-free (the UI builds vscode.Uri from
 * the parts):
 *
 *   k8s-target://<context>/<namespace>/<pod>/<container>/<path in the target>
 *   k8s-target://loopback-admin/demo/node-app/app/app/server.js
 *   k8s-target://admin/ops/node-debugger-worker-1-x2b4c/debugger@host/etc/os-release   (a node's /, see root)
 *
 * Namespace, pod and container are DNS names (no `/`), so they read as the first breadcrumbs. The context is
 * free text (`arn:aws:eks:…:cluster/x`, `user@cluster`): in the authority every character outside
 * `[A-Za-z0-9._-]` is written `~xx` (hex byte of its UTF-8), so `:`/`@`/`/` cannot be read as port, user info or
 * path, and the context survives any case-preserving URI round trip. File names map to strings as in names.ts.
 */

export const TARGET_FS_SCHEME = 'k8s-target';

export interface TargetRef {
  readonly context: string;
  readonly namespace: string;
  readonly pod: string;
  /** The target (regular) container whose filesystem is shown. */
  readonly container: string;
  /**
   * The root-path variant: the filesystem under this path of `container` itself, not `/proc/<pid>/root` of a
   * target. Only `/host`, where a node debug pod mounts the node's `/`; in the URI the container segment is
   * `<container>@host`.
   */
  readonly root?: typeof HOST_ROOT;
}

export const HOST_ROOT = '/host';
const HOST_SUFFIX = '@host';

export function encodeContext(context: string): string {
  let out = '';
  for (const b of Buffer.from(context, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9._-]/.test(c) ? c : '~' + b.toString(16).padStart(2, '0');
  }
  return out;
}

export function decodeContext(authority: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < authority.length; i++) {
    if (authority[i] === '~' && /^[0-9a-fA-F]{2}$/.test(authority.slice(i + 1, i + 3))) {
      bytes.push(parseInt(authority.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(authority[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

const DNS = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** `{authority, path}` for vscode.Uri.from({scheme, authority, path}). `path` is the target path ('/' for the root). */
export function formatTargetUri(ref: TargetRef, path: string): { authority: string; path: string } {
  const tail = path === '/' || path === '' ? '' : path.startsWith('/') ? path : `/${path}`;
  const container = ref.root === HOST_ROOT ? `${ref.container}${HOST_SUFFIX}` : ref.container;
  return { authority: encodeContext(ref.context), path: `/${ref.namespace}/${ref.pod}/${container}${tail || '/'}` };
}

/** The target and its path from a URI's authority and path; throws on a URI that names no target. */
export function parseTargetUri(authority: string, uriPath: string): { ref: TargetRef; path: string } {
  const segments = uriPath.split('/');
  // ['', namespace, pod, container, ...rest]
  const [, namespace, pod, containerSegment] = segments;
  const root = containerSegment?.endsWith(HOST_SUFFIX) === true ? HOST_ROOT : undefined;
  const container = root !== undefined ? containerSegment!.slice(0, -HOST_SUFFIX.length) : containerSegment;
  if (!namespace || !pod || !container || !DNS.test(namespace) || !DNS.test(pod) || !DNS.test(container)) {
    throw new Error(`not a target filesystem URI: ${TARGET_FS_SCHEME}://${authority}${uriPath} (expected /<namespace>/<pod>/<container>/<path>)`);
  }
  const rest = segments.slice(4).filter((s) => s !== '' && s !== '.');
  const out: string[] = [];
  for (const s of rest) {
    if (s === '..') out.pop();
    else out.push(s);
  }
  return { ref: { context: decodeContext(authority), namespace, pod, container, ...(root !== undefined ? { root } : {}) }, path: '/' + out.join('/') };
}

export function targetKey(ref: TargetRef): string {
  return JSON.stringify([ref.context, ref.namespace, ref.pod, ref.container, ...(ref.root !== undefined ? [ref.root] : [])]);
}

export function targetLabel(ref: TargetRef): string {
  return ref.root !== undefined ? `${ref.pod} ${ref.root} (${ref.namespace})` : `${ref.pod}/${ref.container} (${ref.namespace})`;
}
