/** Conduit listen addresses: "ip:port", "[ipv6]:port" (RFC 3986 §3.2.2 brackets for IPv6). */
import { canonicalIp } from './address';

export type ListenParse = { ok: true; host: string; port: number } | { ok: false; why: string };

export function parseListen(text: string): ListenParse {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1 || text[close + 1] !== ':') return { ok: false, why: 'expected "[ipv6]:port"' };
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (!host.includes(':')) return { ok: false, why: 'brackets are for IPv6 addresses only' };
  } else {
    const colon = text.lastIndexOf(':');
    if (colon === -1) return { ok: false, why: 'missing ":port"' };
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return { ok: false, why: 'write IPv6 addresses in brackets, e.g. "[::1]:502"' };
  }
  const canon = canonicalIp(host);
  if (canon === null) return { ok: false, why: `'${host}' is not an IP address (host names are not resolved)` };
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) return { ok: false, why: `port must be 0..65535, got '${portText}'` };
  return { ok: true, host: canon, port: Number(portText) };
}

/** 'any4' for 0.0.0.0, 'any6' for :: (which also takes IPv4 on a dual-stack socket), else null. */
export function wildcardOf(host: string): 'any4' | 'any6' | null {
  return host === '0.0.0.0' ? 'any4' : host === '::' ? 'any6' : null;
}
