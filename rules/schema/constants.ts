/**
 * The policy's run-time constants (defaults, presets, literal lists), kept free of TypeBox so the
 * daemon does not load it: the schema files in this folder import these (and emit them as
 * `default` / `enum` in the JSON Schema); rules/load.ts validates with the validator generated
 * from policy.schema.json (./policy-validator.ts).
 */

// The root (./policy.ts).
/** Defaults applied by rules/compile.ts; also emitted as `default` in the JSON Schema. */
export const POLICY_DEFAULTS = {
  mode: 'enforce',
  onViolation: 'refuse',
  audit: { allowed: 'sample', sampleEvery: 100 },
  limits: {
    max_connections: 64,
    max_connections_per_client: 8,
    idle_timeout_s: 300,
    max_pending_requests: 16,
    request_timeout_ms: 5000,
  },
  /** Largest frame per protocol when `max_frame_bytes` is not set (Modbus: MB-TCP §3.1.3, 260-byte ADU). */
  maxFrameBytes: { modbus: 260, opcua: 1_048_576, mqtt: 1_048_576 },
} as const;

export const PURDUE_LEVELS = [0, 1, 2, 3, 3.5, 4, 5] as const;
export const PROTOCOLS = ['modbus', 'opcua', 'mqtt'] as const;

/** Which rule-body / conduit-option key belongs to which protocol (checked by the loader). */
export const RULE_BODY_KEYS = { modbus: 'modbus', opcua: 'opcua', mqtt: 'mqtt' } as const;

// relay: (./relay.ts).
/** Defaults applied by rules/relay.ts; also emitted as `default` in the JSON Schema. */
export const RELAY_DEFAULTS = {
  heartbeat_ms: 250,
  watchdog_timeout_ms: 1000,
  feedback_timeout_ms: 500,
  feedback_poll_ms: 1000,
  gpio: { chip: 'gpiochip0', tools: 'v1' },
  modbus: { port: 502, unit_id: 1, coil: 0, timeout_ms: 500 },
  sim: { socket: '/run/otgate-relay-sim/relay.sock' },
} as const;

export const RELAY_DRIVERS = ['gpio', 'modbus', 'sim'] as const;

/** Anomaly families (protocols/common/anomaly.ts). */
export const ANOMALY_FAMILIES = ['malformed', 'state', 'resource'] as const;

// MQTT (./mqtt.ts).
export const MQTT_DEFAULTS = { v3PublishDeny: 'ack_drop', maxQos: 2, retain: false } as const;

// Modbus (./modbus.ts).
export const DEFAULT_MODBUS_EXCEPTIONS = { function: 1, address: 2, value: 3 } as const;

// OPC UA (./opcua.ts).
/** Short security policy names (OPC 10000-7; URI http://opcfoundation.org/UA/SecurityPolicy#<name>). */
export const SECURITY_POLICY_NAMES = [
  'None',
  'Basic128Rsa15',
  'Basic256',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
] as const;

export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export const IDENTITY_TYPES = ['anonymous', 'username', 'certificate', 'issued'] as const;

/** Named groups of services (OPC 10000-4 service sets). OpenSecureChannel/CloseSecureChannel are channel-level and always allowed. */
export const SERVICE_PRESETS = {
  discovery: ['FindServers', 'FindServersOnNetwork', 'GetEndpoints'],
  session: ['CreateSession', 'ActivateSession', 'CloseSession', 'Cancel'],
  browse: ['Browse', 'BrowseNext', 'TranslateBrowsePathsToNodeIds', 'RegisterNodes', 'UnregisterNodes'],
  read: ['Read'],
  write: ['Write'],
  call: ['Call'],
  subscribe: [
    'CreateSubscription', 'ModifySubscription', 'SetPublishingMode', 'Publish', 'Republish', 'TransferSubscriptions', 'DeleteSubscriptions',
    'CreateMonitoredItems', 'ModifyMonitoredItems', 'SetMonitoringMode', 'SetTriggering', 'DeleteMonitoredItems',
  ],
  history: ['HistoryRead'],
  'history-update': ['HistoryUpdate'],
  'node-management': ['AddNodes', 'AddReferences', 'DeleteNodes', 'DeleteReferences'],
  query: ['QueryFirst', 'QueryNext'],
} as const satisfies Record<string, readonly string[]>;
