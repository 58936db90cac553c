/** Bearer-token authentication: fixed users, random tokens per server start. */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface UserInfo {
  username: string;
  uid: string;
  groups: string[];
}

export type UserName = 'admin' | 'viewer' | 'debugger';

export const USER_NAMES: readonly UserName[] = ['admin', 'viewer', 'debugger'];

const GROUPS: Record<UserName, string[]> = {
  admin: ['system:masters', 'system:authenticated'],
  viewer: ['loopback:viewers', 'system:authenticated'],
  debugger: ['loopback:debuggers', 'system:authenticated'],
};

export class TokenAuthenticator {
  readonly tokens: Record<UserName, string>;

  constructor() {
    const make = () => randomBytes(24).toString('base64url');
    this.tokens = { admin: make(), viewer: make(), debugger: make() };
  }

  /** undefined: no credentials; null: wrong credentials. */
  authenticate(req: IncomingMessage): UserInfo | undefined | null {
    const header = req.headers.authorization;
    if (!header) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return null;
    const given = Buffer.from(m[1]);
    for (const name of USER_NAMES) {
      const want = Buffer.from(this.tokens[name]);
      if (want.length === given.length && timingSafeEqual(want, given)) {
        return { username: name, uid: `loopback-${name}`, groups: [...GROUPS[name]] };
      }
    }
    return null;
  }
}
