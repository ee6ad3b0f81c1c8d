/**
 * One human line and the stable JSON fields of `otgate audit --json` for OPC UA (docs/opcua.md):
 * msgType, securityPolicy, service, nodeIds, requestId, statusCode, encrypted. Never secrets:
 * identity tokens appear as their type only.
 */
import type { ConnectionFrame, SecureChunk, ServiceMessage } from './types';

const MAX_LISTED = 8;

/** "Basic256Sha256" from "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256". */
export const policyShortName = (uri: string | null): string | null => (uri === null ? null : uri.slice(uri.lastIndexOf('#') + 1) || uri);

export function connectionFields(f: ConnectionFrame): Record<string, unknown> {
  switch (f.kind) {
    case 'HEL':
      return { msgType: 'HEL', endpointUrl: f.endpointUrl, receiveBufferSize: f.receiveBufferSize, maxMessageSize: f.maxMessageSize, maxChunkCount: f.maxChunkCount };
    case 'ACK':
      return { msgType: 'ACK', receiveBufferSize: f.receiveBufferSize, maxMessageSize: f.maxMessageSize, maxChunkCount: f.maxChunkCount };
    case 'ERR':
      return { msgType: 'ERR', statusCode: f.statusName, reason: f.reason };
    case 'RHE':
      return { msgType: 'RHE', endpointUrl: f.endpointUrl, serverUri: f.serverUri };
  }
}

export function connectionSummary(f: ConnectionFrame): string {
  switch (f.kind) {
    case 'HEL':
      return `HEL ${f.endpointUrl ?? '(no endpoint URL)'}`;
    case 'ACK':
      return `ACK buffer ${f.receiveBufferSize}/${f.sendBufferSize} max message ${f.maxMessageSize || 'unlimited'}`;
    case 'ERR':
      return `ERR ${f.statusName}${f.reason ? ` "${f.reason.slice(0, 120)}"` : ''}`;
    case 'RHE':
      return `RHE ${f.endpointUrl ?? ''}`;
  }
}

export interface MessageContext {
  readonly msgType: SecureChunk['msgType'];
  readonly securityPolicyUri: string | null;
  readonly requestId: number | null;
  readonly encrypted: boolean;
}

export function messageFields(ctx: MessageContext, s: ServiceMessage | null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    msgType: ctx.msgType,
    securityPolicy: policyShortName(ctx.securityPolicyUri),
    service: s?.typeName ?? null,
    nodeIds: s?.kind === 'request' ? s.nodeIds : [],
    requestId: ctx.requestId,
    encrypted: ctx.encrypted,
  };
  if (s?.kind === 'response') out.statusCode = s.statusName;
  if (s?.kind === 'request') {
    out.requestHandle = s.requestHandle;
    if (s.identity !== null) out.identity = s.identity;
    if (s.securityMode !== null) out.securityMode = s.securityMode;
    if (s.endpointUrl !== null) out.endpointUrl = s.endpointUrl;
    if (s.calls.length > 0) out.calls = s.calls;
    if (s.writes.some((w) => w.numbers !== null)) out.values = s.writes.map((w) => w.numbers);
  }
  return { ...out, ...extra };
}

export function messageSummary(ctx: MessageContext, s: ServiceMessage | null): string {
  if (s === null) return `${ctx.msgType}${ctx.encrypted ? ' (encrypted)' : ''} ${policyShortName(ctx.securityPolicyUri) ?? ''}`.trim();
  if (s.kind === 'response') return `${s.typeName} ${s.statusName}${ctx.requestId !== null ? ` request ${ctx.requestId}` : ''}`;
  const parts: string[] = [s.typeName];
  if (s.calls.length > 0) parts.push(list(s.calls.map((c) => `${c.methodId} on ${c.objectId}`)));
  else if (s.writes.length > 0) parts.push(list(s.writes.map((w) => (w.numbers ? `${w.nodeId} = ${w.numbers.slice(0, 4).join(',')}` : w.nodeId))));
  else if (s.nodeIds.length > 0) parts.push(list(s.nodeIds));
  if (s.identity !== null) parts.push(`identity ${s.identity}`);
  if (s.securityMode !== null) parts.push(`mode ${s.securityMode}`);
  if (s.endpointUrl !== null) parts.push(s.endpointUrl);
  return parts.join(' ');
}

function list(xs: readonly string[]): string {
  return xs.length <= MAX_LISTED ? xs.join(' ') : `${xs.slice(0, MAX_LISTED).join(' ')} …(+${xs.length - MAX_LISTED})`;
}
