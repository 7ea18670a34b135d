/** A user account as the server authenticates it: NTLMv2 needs only the NT hash (MD4 of the UTF-16LE password). */
export interface UserAccount {
  name: string;
  /** 16-byte NT one-way function result, [MS-NLMP] 3.3.1 NTOWFv1. */
  ntHash: Buffer;
}

/** Read-only view of the users file; user names compare case-insensitively. */
export interface UserDb {
  lookup(name: string): UserAccount | undefined;
  list(): string[];
}

export class MemoryUserDb implements UserDb {
  private readonly byName = new Map<string, UserAccount>();

  constructor(accounts: UserAccount[] = []) {
    for (const a of accounts) this.byName.set(a.name.toLowerCase(), a);
  }

  lookup(name: string): UserAccount | undefined {
    return this.byName.get(name.toLowerCase());
  }

  list(): string[] {
    return [...this.byName.values()].map((a) => a.name);
  }
}
