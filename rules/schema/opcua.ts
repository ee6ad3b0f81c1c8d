/**
 * The OPC UA part of the policy: the rule body (`opcua:` in a rule) and the conduit options
 * (`opcua:` in a conduit). Channel-level keys (endpoints, security, certificates) are policed on
 * every channel; identity, services and NodeId lists need a readable (SecurityMode None) channel.
 * References: OPC 10000-4 (services), OPC 10000-6 (opc.tcp, secure conversation), OPC 10000-7
 * (security policy URIs).
 */
import { Type, type Static } from '@sinclair/typebox';
import { literals } from './common';
import { SERVICE_NAMES } from '../../protocols/opcua/service-table';
import { IDENTITY_TYPES, SECURITY_MODES, SECURITY_POLICY_NAMES, SERVICE_PRESETS } from './constants';

export { IDENTITY_TYPES, SECURITY_MODES, SECURITY_POLICY_NAMES, SERVICE_PRESETS } from './constants';

const ServiceRef = literals([...Object.keys(SERVICE_PRESETS), ...SERVICE_NAMES.filter((s) => s !== 'OpenSecureChannel' && s !== 'CloseSecureChannel')] as string[], {
  title: 'service or preset',
  description: 'an OPC UA service name (OPC 10000-4, e.g. Read, Write, Call) or a preset: discovery, session, browse, read, write, call, subscribe, history, history-update, node-management, query',
});

const NodePattern = Type.String({
  title: 'NodeId pattern',
  minLength: 1,
  description: 'a NodeId in standard string form ("ns=2;s=Chiller.Setpoint", "i=85"), or a prefix ending in "*" ("ns=2;s=Chiller.*", "ns=2;*")',
  examples: ['ns=2;s=Chiller.Setpoint', 'ns=2;s=Chiller.*', 'i=85'],
});

const NodeList = (what: string) => Type.Array(NodePattern, { description: `NodeIds that may be ${what}; none when absent` });

const WriteEntry = Type.Union(
  [
    NodePattern,
    Type.Object(
      {
        node: NodePattern,
        min: Type.Optional(Type.Number({ description: 'smallest numeric value that may be written (inclusive)' })),
        max: Type.Optional(Type.Number({ description: 'largest numeric value that may be written (inclusive)' })),
      },
      { additionalProperties: false, title: 'value envelope', description: 'writable nodes whose written numeric values must lie in min..max (non-numeric values are refused)' },
    ),
  ],
  { title: 'write entry', description: 'a NodeId pattern, or {node, min, max} limiting the written Value' },
);

const CallEntry = Type.Object(
  {
    object: NodePattern,
    method: NodePattern,
  },
  { additionalProperties: false, title: 'method', description: 'a method (methodId) that may be called on an object (objectId)' },
);

export const OpcuaRuleSchema = Type.Object(
  {
    endpoints: Type.Optional(
      Type.Array(Type.String({ minLength: 1, pattern: '^opc\\.tcp://', examples: ['opc.tcp://10.10.0.22:4840/chiller'] }), {
        minItems: 1,
        description: 'endpoint URLs the client may name in HEL (compared case-insensitively, host included); any when absent',
      }),
    ),
    security: Type.Optional(
      Type.Object(
        {
          policies: Type.Optional(Type.Array(literals(SECURITY_POLICY_NAMES), { minItems: 1, description: 'allowed security policies; any when absent' })),
          modes: Type.Optional(Type.Array(literals(SECURITY_MODES), { minItems: 1, description: 'allowed message security modes; any when absent' })),
        },
        { additionalProperties: false, description: 'secure channel requirements (e.g. SignAndEncrypt across a zone boundary)' },
      ),
    ),
    certificates: Type.Optional(
      Type.Array(Type.String({ pattern: '^[0-9A-Fa-f:]{40,59}$', title: 'SHA-1 thumbprint', examples: ['3f2a…'] }), {
        minItems: 1,
        description: 'client application certificate SHA-1 thumbprints (hex, colons allowed); a channel without one of these is refused. Any (or none) when absent',
      }),
    ),
    identities: Type.Optional(
      Type.Array(literals(IDENTITY_TYPES), { minItems: 1, description: 'identity token types ActivateSession may use (None channels only); any when absent' }),
    ),
    services: Type.Array(ServiceRef, { minItems: 1, description: 'allowed services (names or presets); everything else is refused' }),
    browse: Type.Optional(NodeList('browsed (Browse, TranslateBrowsePathsToNodeIds starting nodes, RegisterNodes)')),
    read: Type.Optional(NodeList('read (any attribute)')),
    write: Type.Optional(Type.Array(WriteEntry, { description: 'nodes whose Value attribute may be written; none when absent' })),
    call: Type.Optional(Type.Array(CallEntry, { description: 'methods that may be called; none when absent' })),
    monitor: Type.Optional(NodeList('monitored (CreateMonitoredItems)')),
    history: Type.Optional(NodeList('history-read or history-updated')),
  },
  { additionalProperties: false, title: 'OPC UA rule', description: 'what the rule\'s clients may do over OPC UA binary (opc.tcp)' },
);

export type OpcuaRuleSpec = Static<typeof OpcuaRuleSchema>;

export const OpcuaConduitSchema = Type.Object(
  {
    max_chunk_count: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 65535, default: 4096, description: 'chunks per message when HEL/ACK say 0 (no limit)' }),
    ),
    sweep: Type.Optional(
      Type.Object(
        {
          window_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400, default: 60, description: 'length of the counting window, seconds' })),
          max_discovery: Type.Optional(
            Type.Integer({ minimum: 0, maximum: 100000, default: 5, description: 'GetEndpoints/FindServers requests per connection and window before opcua.discovery_sweep (T0846); 0 = off' }),
          ),
          max_denied: Type.Optional(
            Type.Integer({ minimum: 0, maximum: 100000, default: 10, description: 'denied Browse/Read requests per connection and window before opcua.browse_sweep (T0861) or opcua.server_info_sweep (T0888); 0 = off' }),
          ),
          max_denied_nodes: Type.Optional(
            Type.Integer({ minimum: 0, maximum: 100000, default: 32, description: 'distinct NodeIds named by denied Browse/Read requests per connection and window before opcua.browse_sweep; 0 = off' }),
          ),
        },
        { additionalProperties: false, description: 'discovery-sweep detection: one anomaly per connection, kind and window when a limit is passed (docs/opcua.md)' },
      ),
    ),
  },
  { additionalProperties: false, title: 'OPC UA conduit options' },
);

export type OpcuaConduitSpec = Static<typeof OpcuaConduitSchema>;
