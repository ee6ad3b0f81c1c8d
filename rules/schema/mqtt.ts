/**
 * The MQTT part of the policy: the rule body (`mqtt:` in a rule) and the conduit options
 * (`mqtt:` in a conduit). A rule's clients are assets (bound by source address); the client id
 * and user name patterns bind MQTT identities to that address. References: MQTT 3.1.1 and 5.0.
 */
import { Type, type Static } from '@sinclair/typebox';
import { literals } from './common';
import { MQTT_DEFAULTS } from './constants';

export { MQTT_DEFAULTS } from './constants';

const TopicFilter = (description: string) =>
  Type.String({
    title: 'topic filter',
    minLength: 1,
    maxLength: 65535,
    description: `${description}; '+' one level, '#' the rest (MQTT 3.1.1 §4.7); '$SYS/...' only when named explicitly`,
    examples: ['fab/etch/pc-101/telemetry', 'fab/+/+/telemetry'],
  });

const Pattern = (what: string) =>
  Type.String({ title: `${what} pattern`, minLength: 1, description: `${what}, exact or with '*' (any run of characters) and '?' (one character)`, examples: ['pc-101', 'sensor-*'] });

export const MqttRuleSchema = Type.Object(
  {
    client_ids: Type.Optional(Type.Array(Pattern('client id'), { minItems: 1, description: 'client ids this rule accepts from its clients\' addresses; any when absent' })),
    usernames: Type.Optional(
      Type.Array(Pattern('user name'), { minItems: 1, description: 'user names accepted (a user name is then required); any or none when absent. Passwords are never read' }),
    ),
    publish: Type.Optional(Type.Array(TopicFilter('topics the client may publish to'), { description: 'publish allowlist (topic filters); nothing when absent' })),
    subscribe: Type.Optional(
      Type.Array(TopicFilter('filters the client may subscribe within'), {
        description: 'a subscription is allowed when its filter is contained in one of these (plant/+/temp is not contained in plant/a/temp); deliveries are checked against them too',
      }),
    ),
    max_qos: Type.Optional(literals([0, 1, 2] as const, { default: 2, description: 'highest QoS for publishes (higher is refused) and subscriptions (higher is downgraded)' })),
    retain: Type.Optional(Type.Boolean({ default: false, description: 'may publishes (and the will) set RETAIN' })),
    max_payload_bytes: Type.Optional(Type.Integer({ minimum: 0, maximum: 268435455, description: 'largest PUBLISH / will payload; the conduit\'s max_frame_bytes when absent' })),
    payload_schemas: Type.Optional(
      Type.Array(
        Type.Object(
          {
            topic: TopicFilter('topics whose payload must match'),
            schema: Type.Object({}, { additionalProperties: true, description: 'a JSON Schema (draft-07, ajv) the JSON payload must satisfy' }),
          },
          { additionalProperties: false },
        ),
        { description: 'payloads published to matching topics must be JSON valid against the schema' },
      ),
    ),
  },
  { additionalProperties: false, title: 'MQTT rule', description: 'what the rule\'s clients may do over MQTT (3.1, 3.1.1, 5)' },
);

export type MqttRuleSpec = Static<typeof MqttRuleSchema>;

export const MqttConduitSchema = Type.Object(
  {
    v3_publish_deny: Type.Optional(
      literals(['ack_drop', 'close'] as const, {
        default: MQTT_DEFAULTS.v3PublishDeny,
        description:
          'MQTT 3.1/3.1.1 has no negative PUBACK: ack_drop acknowledges a denied PUBLISH and drops it (the device keeps running and publishing its allowed topics); close closes the connection',
      }),
    ),
    command_topics: Type.Optional(
      Type.Array(TopicFilter('topics that carry commands'), { description: 'a denied publish to one of these is reported as T0855 Unauthorized Command Message (else T0856)' }),
    ),
  },
  { additionalProperties: false, title: 'MQTT conduit options' },
);

export type MqttConduitSpec = Static<typeof MqttConduitSchema>;
