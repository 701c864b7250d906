// Names of addresses from the DNS answers recorded so far, as connections.remote_name gives
// them in SQL: the latest answer (to any process) that gave an address names it. Sigma's
// DestinationHostname and the remote endpoint of alerts read it alike.
import type { Event } from './api.js';
import { addressText } from '../text/address.js';

/** An address as DNS answers name it: an IPv4-mapped IPv6 address is its A record's address. */
export const answerKey = (text: string): string => (text.startsWith('::ffff:') && text.includes('.') ? text.slice(7) : text);

export class DnsNames {
  private readonly names = new Map<string, string>();

  /** Takes a dns row: an answer row with an address names it. */
  update(e: Event<'dns'>): void {
    const a = e.answer;
    if (e.kind === 'answer' && a !== null && e.answer_family !== null) this.names.set(addressText(e.answer_family, a), e.qname);
  }

  /** The name of an address (its text as addressText gives it), if an answer gave one. */
  nameOf(address: string): string | undefined {
    return this.names.get(answerKey(address));
  }
}
