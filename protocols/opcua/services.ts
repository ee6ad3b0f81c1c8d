/**
 * Decoded node-opcua service objects → otgate's ServiceRequest / ServiceResponse (OPC 10000-4).
 * One table names every service otgate knows; `action` says which NodeId list of the policy
 * applies to the nodes a request names.
 */
import type { BaseUAObject } from 'node-opcua-factory';
import {
  ActivateSessionRequest,
  AddNodesRequest,
  AddReferencesRequest,
  AnonymousIdentityToken,
  BrowseRequest,
  CallRequest,
  CreateMonitoredItemsRequest,
  CreateSessionRequest,
  CreateSessionResponse,
  DeleteNodesRequest,
  DeleteReferencesRequest,
  FindServersRequest,
  GetEndpointsRequest,
  HistoryReadRequest,
  HistoryUpdateRequest,
  IssuedIdentityToken,
  OpenSecureChannelRequest,
  ReadRequest,
  RegisterNodesRequest,
  TranslateBrowsePathsToNodeIdsRequest,
  UserNameIdentityToken,
  WriteRequest,
  X509IdentityToken,
  type RequestHeader,
  type ResponseHeader,
} from 'node-opcua-types';
import type { NodeId } from 'node-opcua-nodeid';
import type { Variant } from 'node-opcua-variant';
import { statusName, type DecodedBody } from './codec';
import { nodeIdText } from './node-id';
import { isServiceName, SERVICES, type ServiceName } from './service-table';
import type { CallItem, IdentityTokenType, SecurityModeName, ServiceMessage, ServiceRequest, WriteItem } from './types';

export { SERVICES, SERVICE_NAMES, isServiceName, type ServiceName } from './service-table';


/** "WriteRequest" → "Write"; also ServiceFault → "ServiceFault". */
export function serviceOf(typeName: string): string {
  return typeName.replace(/(Request|Response)$/, '');
}

const SECURITY_MODES: Record<number, SecurityModeName> = { 1: 'None', 2: 'Sign', 3: 'SignAndEncrypt' };

/** Reduce a decoded body; null when it is neither a known request nor a response. */
export function toServiceMessage(d: DecodedBody): ServiceMessage | null {
  const o = d.object as BaseUAObject & { requestHeader?: RequestHeader; responseHeader?: ResponseHeader };
  const service = serviceOf(d.typeName);
  if (d.typeName.endsWith('Request') && o.requestHeader) {
    if (!isServiceName(service)) return null;
    return request(d.typeName, service, o as BaseUAObject & { requestHeader: RequestHeader });
  }
  if ((d.typeName.endsWith('Response') || d.typeName === 'ServiceFault') && o.responseHeader) {
    const h = o.responseHeader;
    const code = h.serviceResult ? h.serviceResult.value >>> 0 : 0;
    return {
      kind: 'response',
      service,
      typeName: d.typeName,
      requestHandle: h.requestHandle >>> 0,
      statusCode: code,
      statusName: statusName(code),
      authenticationToken: o instanceof CreateSessionResponse && o.authenticationToken ? nodeIdText(o.authenticationToken) : null,
    };
  }
  return null;
}

function request(typeName: string, service: ServiceName, o: BaseUAObject & { requestHeader: RequestHeader }): ServiceRequest {
  const h = o.requestHeader;
  const auth = h.authenticationToken && !isNull(h.authenticationToken) ? nodeIdText(h.authenticationToken) : null;
  let nodeIds: string[] = [];
  let writes: WriteItem[] = [];
  let calls: CallItem[] = [];
  let identity: IdentityTokenType | null = null;
  let endpointUrl: string | null = null;
  let securityMode: SecurityModeName | null = null;

  if (o instanceof ReadRequest) nodeIds = (o.nodesToRead ?? []).map((r) => nodeIdText(r.nodeId));
  else if (o instanceof WriteRequest) {
    writes = (o.nodesToWrite ?? []).map((w) => ({ nodeId: nodeIdText(w.nodeId), attributeId: w.attributeId >>> 0, ...numbersOf(w.value?.value) }));
    nodeIds = writes.map((w) => w.nodeId);
  } else if (o instanceof CallRequest) {
    calls = (o.methodsToCall ?? []).map((c) => ({ objectId: nodeIdText(c.objectId), methodId: nodeIdText(c.methodId) }));
    nodeIds = calls.map((c) => c.methodId);
  } else if (o instanceof BrowseRequest) nodeIds = (o.nodesToBrowse ?? []).map((b) => nodeIdText(b.nodeId));
  else if (o instanceof TranslateBrowsePathsToNodeIdsRequest) nodeIds = (o.browsePaths ?? []).map((p) => nodeIdText(p.startingNode));
  else if (o instanceof RegisterNodesRequest) nodeIds = (o.nodesToRegister ?? []).map(nodeIdText);
  else if (o instanceof CreateMonitoredItemsRequest) nodeIds = (o.itemsToCreate ?? []).map((i) => nodeIdText(i.itemToMonitor?.nodeId));
  else if (o instanceof HistoryReadRequest) nodeIds = (o.nodesToRead ?? []).map((r) => nodeIdText(r.nodeId));
  else if (o instanceof HistoryUpdateRequest) {
    nodeIds = (o.historyUpdateDetails ?? []).map((x) => nodeIdText((x as { nodeId?: NodeId } | null)?.nodeId));
  } else if (o instanceof AddNodesRequest) nodeIds = (o.nodesToAdd ?? []).map((n) => nodeIdText(n.parentNodeId as unknown as NodeId));
  else if (o instanceof DeleteNodesRequest) nodeIds = (o.nodesToDelete ?? []).map((n) => nodeIdText(n.nodeId));
  else if (o instanceof AddReferencesRequest) nodeIds = (o.referencesToAdd ?? []).map((r) => nodeIdText(r.sourceNodeId));
  else if (o instanceof DeleteReferencesRequest) nodeIds = (o.referencesToDelete ?? []).map((r) => nodeIdText(r.sourceNodeId));
  else if (o instanceof ActivateSessionRequest) identity = identityOf(o.userIdentityToken);
  else if (o instanceof CreateSessionRequest || o instanceof GetEndpointsRequest || o instanceof FindServersRequest) endpointUrl = o.endpointUrl ?? null;
  else if (o instanceof OpenSecureChannelRequest) securityMode = SECURITY_MODES[o.securityMode as number] ?? null;

  return {
    kind: 'request',
    service,
    typeName,
    requestHandle: h.requestHandle >>> 0,
    authenticationToken: auth,
    action: SERVICES[service],
    nodeIds,
    writes,
    calls,
    identity,
    endpointUrl,
    securityMode,
  };
}

const isNull = (id: NodeId): boolean => id.namespace === 0 && (id.value === 0 || id.value === null);

/** OPC 10000-4 §7.41: a null token is treated as anonymous. Only the type is kept, never the secret. */
function identityOf(token: unknown): IdentityTokenType {
  if (token === null || token === undefined || token instanceof AnonymousIdentityToken) return 'anonymous';
  if (token instanceof UserNameIdentityToken) return 'username';
  if (token instanceof X509IdentityToken) return 'certificate';
  if (token instanceof IssuedIdentityToken) return 'issued';
  return 'issued'; // an unknown token structure: treated as the least-known kind (policy must list it)
}

const NUMERIC = new Set(['SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Float', 'Double']);
const DATA_TYPE_NAMES: Record<number, string> = {
  0: 'Null', 1: 'Boolean', 2: 'SByte', 3: 'Byte', 4: 'Int16', 5: 'UInt16', 6: 'Int32', 7: 'UInt32', 8: 'Int64', 9: 'UInt64',
  10: 'Float', 11: 'Double', 12: 'String', 13: 'DateTime', 14: 'Guid', 15: 'ByteString', 16: 'XmlElement', 17: 'NodeId',
  18: 'ExpandedNodeId', 19: 'StatusCode', 20: 'QualifiedName', 21: 'LocalizedText', 22: 'ExtensionObject', 23: 'DataValue',
  24: 'Variant', 25: 'DiagnosticInfo',
};

/** Numbers written by a Variant (scalar, array or matrix), or null when the value is not numeric. */
function numbersOf(v: Variant | null | undefined): { numbers: number[] | null; dataType: string | null } {
  if (!v) return { numbers: null, dataType: null };
  const dataType = DATA_TYPE_NAMES[v.dataType as number] ?? null;
  if (dataType === null || !NUMERIC.has(dataType)) return { numbers: null, dataType };
  const wide = dataType === 'Int64' || dataType === 'UInt64';
  const one = (x: unknown): number => (wide && Array.isArray(x) ? int64(x as number[], dataType === 'Int64') : Number(x));
  const arrayType = v.arrayType as number; // 0 scalar, 1 array, 2 matrix
  const raw: unknown = v.value;
  const list = arrayType === 0 ? [raw] : Array.from((raw ?? []) as ArrayLike<unknown>);
  return { numbers: list.map(one), dataType };
}

/** node-opcua's [high, low] 64-bit words → a JS number (exact up to 2^53). */
function int64([hi = 0, lo = 0]: number[], signed: boolean): number {
  const high = signed ? hi | 0 : hi >>> 0;
  return high * 0x1_0000_0000 + (lo >>> 0);
}
