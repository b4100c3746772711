/** Longer than any IPv6 text form (45), so a forged header cannot make a long key. */
const MAX_ADDRESS_LENGTH = 64;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The address a member is counted under: the TCP peer's, or, behind a proxy
 * we trust, the rightmost `X-Forwarded-For` entry. That entry is the one the
 * proxy added; a client can only put entries before it.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | undefined, trustProxy: boolean): string {
  const forwarded = trustProxy ? rightmostEntry(forwardedFor) : undefined;
  return normalizeAddress(forwarded ?? peer ?? 'unknown');
}

function rightmostEntry(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const entry = header.slice(header.lastIndexOf(',') + 1).trim();
  return entry === '' ? undefined : entry;
}

/** One spelling per address: an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is its IPv4 address. */
export function normalizeAddress(address: string): string {
  const lower = address.slice(0, MAX_ADDRESS_LENGTH).toLowerCase();
  const mapped = lower.startsWith('::ffff:') ? lower.slice('::ffff:'.length) : undefined;
  return mapped !== undefined && IPV4.test(mapped) ? mapped : lower;
}

/**
 * Members held per client address. An address leaves the map with its last
 * member, so the map is never larger than the live connections.
 */
export class AddressCounts {
  private readonly held = new Map<string, number>();

  /** Addresses holding at least one member. */
  get size(): number {
    return this.held.size;
  }

  count(address: string): number {
    return this.held.get(address) ?? 0;
  }

  /** Counts one more for `address`; the function it returns gives it back, once however often it is called. */
  take(address: string): () => void {
    this.held.set(address, this.count(address) + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = this.count(address) - 1;
      if (left > 0) this.held.set(address, left);
      else this.held.delete(address);
    };
  }
}
