/**
 * The `relay:` section of the policy: which isolation relay otgate drives, how it is watched,
 * and which violations trip it. One optional block, so everything that can cut the plant off
 * is reviewed in one place (docs/relay.md). Without it there is no relay and nothing trips.
 */
import { Type, type Static } from '@sinclair/typebox';
import { literals, Name } from './common';
import { RELAY_DEFAULTS, RELAY_DRIVERS } from './constants';

export { ANOMALY_FAMILIES, RELAY_DEFAULTS, RELAY_DRIVERS } from './constants';

const Line = (description: string) => Type.Integer({ minimum: 0, maximum: 1023, description });

const Gpio = Type.Object(
  {
    chip: Type.Optional(Type.String({ minLength: 1, default: RELAY_DEFAULTS.gpio.chip, description: 'GPIO character device, e.g. gpiochip0 (Raspberry Pi 5: gpiochip4 on older kernels)' })),
    coil_line: Line('output line driving the relay coil (high = energized = connected)'),
    feedback_line: Type.Optional(Line('input line wired to the relay\'s auxiliary contact (high = closed = connected)')),
    feedback_inverted: Type.Optional(Type.Boolean({ default: false, description: 'the feedback input reads low when the main contact is closed (NC auxiliary contact)' })),
    heartbeat_line: Type.Optional(Line('output line pulsed every heartbeat for an external hardware watchdog')),
    keyswitch_line: Type.Optional(Line('input line of the restore key-switch (high = restore permitted)')),
    tools: Type.Optional(literals(['v1', 'v2'] as const, { default: RELAY_DEFAULTS.gpio.tools, description: 'libgpiod command-line tools generation (Debian 12 / RPi OS bookworm: v1; trixie: v2)' })),
  },
  { additionalProperties: false, title: 'gpio relay' },
);

const ModbusRelay = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'the Modbus TCP relay / remote I/O module (a management network, not a conduit)' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: RELAY_DEFAULTS.modbus.port })),
    unit_id: Type.Optional(Type.Integer({ minimum: 0, maximum: 255, default: RELAY_DEFAULTS.modbus.unit_id })),
    coil: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: RELAY_DEFAULTS.modbus.coil, description: 'coil driving the relay (ON = energized = connected)' })),
    feedback_input: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'discrete input wired to the auxiliary contact (ON = connected)' })),
    keyswitch_input: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'discrete input of the restore key-switch (ON = restore permitted)' })),
    heartbeat_register: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 65535, description: 'holding register written with a counter every heartbeat (feeds the module\'s communication watchdog)' }),
    ),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 10, maximum: 60000, default: RELAY_DEFAULTS.modbus.timeout_ms })),
  },
  { additionalProperties: false, title: 'modbus relay' },
);

const Sim = Type.Object(
  { socket: Type.Optional(Type.String({ minLength: 1, default: RELAY_DEFAULTS.sim.socket, description: 'Unix socket of the relay simulator (otgate-relay-sim)' })) },
  { additionalProperties: false, title: 'simulated relay' },
);

const TripRule = Type.Object(
  {
    name: Name('trip rule name (recorded as the cause of the trip)'),
    conduits: Type.Optional(Type.Array(Name('conduit name'), { minItems: 1, description: 'only violations on these conduits (default: any)' })),
    assets: Type.Optional(
      Type.Union([Type.Array(Name('asset name'), { minItems: 1 }), Type.Literal('safety_critical')], {
        description: 'only violations toward these server assets, or "safety_critical" for every asset so marked (default: any)',
      }),
    ),
    on_violation: Type.Optional(literals(['isolate'] as const, { description: 'isolate on the first matching deny or anomaly' })),
    denied_writes: Type.Optional(
      Type.Object(
        {
          count: Type.Integer({ minimum: 1, maximum: 100000, description: 'denied write attempts…' }),
          within_s: Type.Number({ exclusiveMinimum: 0, maximum: 86400, description: '…within this many seconds (sliding window)' }),
        },
        { additionalProperties: false, description: 'isolate after N denied writes toward the matched assets within T seconds' },
      ),
    ),
    anomalies: Type.Optional(
      Type.Array(Type.String({ minLength: 1, description: 'an anomaly code (modbus.mbap_length_too_large), a prefix (modbus.*), or a family (malformed, state, resource)' }), {
        minItems: 1,
        description: 'isolate on any of these anomalies',
      }),
    ),
    monitor: Type.Optional(Type.Boolean({ default: false, description: 'also trip on violations only observed (monitor mode, passive capture)' })),
  },
  { additionalProperties: false, title: 'trip rule' },
);

export const RelaySchema = Type.Object(
  {
    driver: literals(RELAY_DRIVERS, { description: 'gpio (Linux GPIO), modbus (Modbus TCP relay module) or sim (simulator)' }),
    heartbeat_ms: Type.Optional(Type.Integer({ minimum: 10, maximum: 60000, default: RELAY_DEFAULTS.heartbeat_ms, description: 'heartbeat period toward the external watchdog' })),
    watchdog_timeout_ms: Type.Optional(
      Type.Integer({ minimum: 20, maximum: 600000, default: RELAY_DEFAULTS.watchdog_timeout_ms, description: 'silence after which the external watchdog opens the relay (sim: enforced; hardware: documents its setting)' }),
    ),
    feedback_timeout_ms: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 60000, default: RELAY_DEFAULTS.feedback_timeout_ms, description: 'time the feedback contact may take to follow a command before a mismatch is alarmed' }),
    ),
    feedback_poll_ms: Type.Optional(Type.Integer({ minimum: 50, maximum: 600000, default: RELAY_DEFAULTS.feedback_poll_ms, description: 'period of the feedback / watchdog check' })),
    require_keyswitch: Type.Optional(Type.Boolean({ default: false, description: 'restore also requires the key-switch input' })),
    gpio: Type.Optional(Gpio),
    modbus: Type.Optional(ModbusRelay),
    sim: Type.Optional(Sim),
    trip: Type.Optional(Type.Array(TripRule, { description: 'what trips the relay besides operators and heartbeat loss' })),
  },
  { additionalProperties: false, title: 'relay', description: 'the fail-safe isolation relay (docs/relay.md)' },
);

export type RelaySpec = Static<typeof RelaySchema>;
export type TripRuleSpec = NonNullable<RelaySpec['trip']>[number];
