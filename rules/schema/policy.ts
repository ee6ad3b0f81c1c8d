/**
 * The policy file's root schema: the single source of the policy's types (`Policy`) and of
 * policy.schema.json (scripts/gen-schema.ts). Semantic checks the schema cannot express (names
 * resolve, ranges are ordered, CIDRs parse, listens do not clash) live in rules/load.ts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { IsoTime, literals, Name } from './common';
import { POLICY_DEFAULTS, PROTOCOLS, PURDUE_LEVELS } from './constants';
import { ModbusConduitSchema, ModbusRuleSchema } from './modbus';
import { RelaySchema } from './relay';
import { MqttConduitSchema, MqttRuleSchema } from './mqtt';
import { OpcuaConduitSchema, OpcuaRuleSchema } from './opcua';
import { TlsSchema } from './tls';

export { POLICY_DEFAULTS, PROTOCOLS, PURDUE_LEVELS, RULE_BODY_KEYS } from './constants';

const Mode = literals(['enforce', 'monitor'] as const, {
  description: 'enforce: refuse violations; monitor: record them and forward anyway',
});

const Defaults = Type.Object(
  {
    mode: Type.Optional({ ...Mode, default: POLICY_DEFAULTS.mode }),
    audit: Type.Optional(
      Type.Object(
        {
          allowed: Type.Optional(
            literals(['none', 'sample', 'all'] as const, {
              default: POLICY_DEFAULTS.audit.allowed,
              description: 'which allowed decisions are recorded (denies and anomalies always are)',
            }),
          ),
          sample_every: Type.Optional(
            Type.Integer({ minimum: 1, default: POLICY_DEFAULTS.audit.sampleEvery, description: 'with allowed: sample, record one allowed decision in N' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    // Relay and trip settings live in the top-level `relay:` section (rules/schema/relay.ts).
  },
  { additionalProperties: false, description: 'settings every conduit inherits' },
);

const Zone = Type.Object(
  {
    name: Name('zone name'),
    level: literals(PURDUE_LEVELS, { title: 'Purdue level', description: 'Purdue level: 0 field, 1 control, 2 supervisory, 3 operations, 3.5 DMZ, 4 enterprise, 5 internet' }),
    networks: Type.Array(Type.String({ title: 'CIDR', description: 'IPv4 or IPv6 network, e.g. 10.10.0.0/24', examples: ['10.10.0.0/24'] }), {
      minItems: 1,
      description: 'networks (CIDR) of the zone; asset addresses should fall inside them',
    }),
  },
  { additionalProperties: false, title: 'zone' },
);

const Asset = Type.Object(
  {
    name: Name('asset name (rules name clients by it)'),
    zone: Name('zone the asset lives in'),
    address: Type.String({ title: 'IP address', description: 'the asset\'s IPv4 or IPv6 address (clients are identified by source address)', examples: ['10.20.0.11'] }),
    role: Type.Optional(Type.String({ description: 'free text, e.g. hmi, plc, historian' })),
    vendor: Type.Optional(Type.String({ description: 'free text' })),
    notes: Type.Optional(Type.String({ description: 'free text' })),
    safety_critical: Type.Optional(Type.Boolean({ default: false, description: 'violations toward this asset may trip the isolation relay' })),
  },
  { additionalProperties: false, title: 'asset' },
);

const Limits = Type.Object(
  {
    max_connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, default: POLICY_DEFAULTS.limits.max_connections, description: 'open connections on this conduit' })),
    max_connections_per_client: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100000, default: POLICY_DEFAULTS.limits.max_connections_per_client, description: 'open connections per client address' }),
    ),
    idle_timeout_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400, default: POLICY_DEFAULTS.limits.idle_timeout_s, description: 'close a connection idle this long (seconds)' })),
    max_pending_requests: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 65535, default: POLICY_DEFAULTS.limits.max_pending_requests, description: 'unanswered requests per connection before it counts as a flood' }),
    ),
    request_timeout_ms: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 600000, default: POLICY_DEFAULTS.limits.request_timeout_ms, description: 'a request unanswered this long is recorded as timed out' }),
    ),
    max_frame_bytes: Type.Optional(
      Type.Integer({ minimum: 8, maximum: 268435460, description: 'largest frame/message accepted; protocol default when absent (Modbus 260)' }),
    ),
  },
  { additionalProperties: false, title: 'limits' },
);

const Rule = Type.Object(
  {
    name: Name('rule name (recorded with every decision it makes)'),
    clients: Type.Array(Name('asset name'), { minItems: 1, description: 'assets (by name) this rule lets in; matched by source address' }),
    window: Type.Optional(
      Type.Object(
        { start: IsoTime('window start (inclusive)'), end: IsoTime('window end (exclusive)') },
        { additionalProperties: false, description: 'the rule is active only in this time window (maintenance)' },
      ),
    ),
    modbus: Type.Optional(ModbusRuleSchema),
    mqtt: Type.Optional(MqttRuleSchema),
    opcua: Type.Optional(OpcuaRuleSchema),
    // OPC UA / MQTT rule bodies: one line each here, e.g. `opcua: Type.Optional(OpcuaRuleSchema),`
    // (rules/schema/opcua.ts, rules/schema/mqtt.ts), and a matching entry in RULE_BODY_KEYS below.
  },
  { additionalProperties: false, title: 'rule' },
);

const Conduit = Type.Object(
  {
    name: Name('conduit name'),
    from_zone: Name('zone the clients are in'),
    to_zone: Name('zone the upstream asset is in'),
    protocol: literals(PROTOCOLS, { description: 'the one protocol this conduit carries' }),
    listen: Type.String({
      title: 'listen address',
      description: 'host:port the gateway listens on ([v6]:port for IPv6); port 0 picks a free port (tests)',
      examples: ['10.20.0.1:502', '[::1]:502'],
    }),
    upstream: Type.Object(
      {
        asset: Name('the server asset'),
        port: Type.Integer({ minimum: 1, maximum: 65535, description: 'the server\'s TCP port' }),
      },
      { additionalProperties: false, description: 'where allowed traffic goes' },
    ),
    mode: Type.Optional({ ...Mode, description: 'overrides defaults.mode for this conduit' }),
    on_violation: Type.Optional(
      literals(['refuse', 'close'] as const, {
        default: POLICY_DEFAULTS.onViolation,
        description: 'refuse: protocol-native refusal (Modbus exception); close: close the connection',
      }),
    ),
    limits: Type.Optional(Limits),
    modbus: Type.Optional(ModbusConduitSchema),
    mqtt: Type.Optional(MqttConduitSchema),
    opcua: Type.Optional(OpcuaConduitSchema),
    tls: Type.Optional(TlsSchema),
    // OPC UA / MQTT conduit options: one line each here, e.g. `opcua: Type.Optional(OpcuaConduitSchema),`.
    rules: Type.Array(Rule, { description: 'any active rule naming the client that allows the whole request allows it; default deny' }),
  },
  { additionalProperties: false, title: 'conduit' },
);

export const PolicySchema = Type.Object(
  {
    version: Type.Literal(1, { description: 'policy format version' }),
    site: Type.String({ minLength: 1, description: 'site name (appears in logs and audit records)' }),
    defaults: Type.Optional(Defaults),
    zones: Type.Array(Zone, { description: 'Purdue zones' }),
    assets: Type.Array(Asset, { description: 'devices and hosts, by address' }),
    conduits: Type.Array(Conduit, { description: 'one gateway listener per conduit; everything else is denied' }),
    relay: Type.Optional(RelaySchema),
  },
  {
    $id: 'https://otgate.dev/policy.schema.json',
    title: 'otgate policy',
    description: 'otgate segmentation policy: zones, assets and conduits with default-deny allowlists',
    additionalProperties: false,
  },
);

export type Policy = Static<typeof PolicySchema>;
export type ZoneSpec = Policy['zones'][number];
export type AssetSpec = Policy['assets'][number];
export type ConduitSpec = Policy['conduits'][number];
export type RuleSpec = ConduitSpec['rules'][number];
export type LimitsSpec = NonNullable<ConduitSpec['limits']>;
export type ProtocolKey = (typeof PROTOCOLS)[number];
