/**
 * Container image references, following the grammar of github.com/distribution/reference (what kubectl
 * validates `--image` against), plus the glob matching used by image policies.
 */

// Building blocks of the reference grammar, kept close to distribution/reference's regexp.go.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const ipv6Address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainAndPort = `(?:${domainName}|${ipv6Address})(?::[0-9]+)?`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const name = `(?:${domainAndPort}/)?${remoteName}`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const referencePattern = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);

/** Hex lengths of the digest algorithms registries use; other algorithms only need the generic form. */
const digestHexLength: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

const maxNameLength = 255;

export interface ImageReference {
  /** As written by the user. */
  readonly original: string;
  /** Registry host (and port); `docker.io` when the reference names none. */
  readonly domain: string;
  /** Repository path inside the registry, `library/` added for Docker Hub official images. */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
  /** Fully qualified form, e.g. `docker.io/library/busybox:latest`. */
  readonly normalized: string;
}

/**
 * Parses an image reference, or returns why it is invalid (a short phrase, to be embedded in a message).
 */
export function parseImageReference(image: string): ImageReference | { error: string } {
  if (image.length === 0) {
    return { error: 'the image is empty' };
  }
  if (image !== image.trim() || /\s/.test(image)) {
    return { error: 'it contains whitespace' };
  }
  const match = referencePattern.exec(image);
  if (!match) {
    return { error: describeInvalidReference(image) };
  }
  const [, fullName, tagPart, digestPart] = match;
  if (fullName.length > maxNameLength) {
    return { error: `the repository name is longer than ${maxNameLength} characters` };
  }
  if (digestPart !== undefined) {
    const [algorithm, hex] = digestPart.split(':');
    const expected = digestHexLength[algorithm];
    if (expected !== undefined && hex.length !== expected) {
      return { error: `a ${algorithm} digest must have exactly ${expected} hex digits (got ${hex.length})` };
    }
  }
  const { domain, path } = splitDomain(fullName);
  const normalizedName = `${domain}/${path}`;
  const normalizedTag = tagPart ?? (digestPart === undefined ? 'latest' : undefined);
  const normalized =
    normalizedName + (normalizedTag !== undefined ? `:${normalizedTag}` : '') + (digestPart !== undefined ? `@${digestPart}` : '');
  return { original: image, domain, path, tag: tagPart, digest: digestPart, normalized };
}

function describeInvalidReference(image: string): string {
  const withoutDigest = image.split('@')[0];
  const firstSlash = withoutDigest.indexOf('/');
  const repository = firstSlash >= 0 && looksLikeDomain(withoutDigest.slice(0, firstSlash)) ? withoutDigest.slice(firstSlash + 1) : withoutDigest;
  const repositoryWithoutTag = repository.replace(/:[^/]*$/, '');
  if (/[A-Z]/.test(repositoryWithoutTag)) {
    return 'the repository name must be lowercase';
  }
  if (image.includes('@') && !/@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/.test(image)) {
    return 'the digest must look like @sha256:<64 hex digits>';
  }
  return 'it does not match [registry[:port]/]repository[:tag][@sha256:digest]';
}

/** docker's rule: the first path element is a registry if it has a dot or a port, or is `localhost`. */
function looksLikeDomain(firstElement: string): boolean {
  return firstElement.includes('.') || firstElement.includes(':') || firstElement === 'localhost' || /[A-Z]/.test(firstElement);
}

function splitDomain(fullName: string): { domain: string; path: string } {
  const slash = fullName.indexOf('/');
  if (slash < 0 || !looksLikeDomain(fullName.slice(0, slash))) {
    const path = slash < 0 ? `library/${fullName}` : fullName;
    return { domain: 'docker.io', path };
  }
  let domain = fullName.slice(0, slash);
  if (domain === 'index.docker.io') {
    domain = 'docker.io';
  }
  const path = fullName.slice(slash + 1);
  return { domain, path: domain === 'docker.io' && !path.includes('/') ? `library/${path}` : path };
}

/**
 * Glob match for policy patterns: `*` any run of characters except `/`, `**` anything, `?` one character
 * except `/`. Anchored at both ends.
 */
export function globMatches(pattern: string, value: string): boolean {
  let regex = '';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === '*') {
      if (pattern[index + 1] === '*') {
        regex += '.*';
        index++;
      } else {
        regex += '[^/]*';
      }
    } else if (char === '?') {
      regex += '[^/]';
    } else {
      regex += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${regex}$`).test(value);
}

/**
 * An image is allowed when a pattern matches it as written or in its fully qualified form, so both
 * `busybox:*` and `docker.io/library/busybox:*` admit `busybox:1.36`.
 */
export function imageMatchesAnyPattern(reference: ImageReference, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => globMatches(pattern, reference.original) || globMatches(pattern, reference.normalized));
}
