/**
 * Stable deny reason codes, declared in one place (documented in docs/policy.md).
 * Protocol-specific reasons are prefixed by the protocol name.
 */
export const DenyReasons = {
  /** No rule on this conduit names the client (unknown address or asset): default deny. */
  no_rule: 'no rule allows this client on this conduit',
  /** Rules name the client, but none is active now (all outside their time windows). */
  outside_window: 'no rule for this client is active now (outside its time window)',
  /** The conduit named in the flow no longer exists in the running policy. */
  no_conduit: 'conduit not in the running policy',
  modbus_unit_not_allowed: 'unit id not allowed',
  modbus_function_not_allowed: 'function code not allowed',
  modbus_subfunction_not_allowed: 'FC 8 sub-function or FC 43 MEI type not allowed',
  modbus_address_not_allowed: 'address range not allowed',
  modbus_value_out_of_range: 'written value outside its envelope',
  opcua_endpoint_not_allowed: 'endpoint URL not allowed',
  opcua_security_not_allowed: 'security policy or mode not allowed',
  opcua_certificate_not_allowed: 'client certificate not allowed',
  opcua_identity_not_allowed: 'identity token type not allowed',
  opcua_service_not_allowed: 'service not allowed',
  opcua_node_not_allowed: 'NodeId not allowed for this action',
  opcua_value_out_of_range: 'written value outside its envelope',
  mqtt_client_not_allowed: 'client id or username not allowed for this asset',
  mqtt_publish_not_allowed: 'publish topic not allowed',
  mqtt_subscribe_not_allowed: 'subscription filter not allowed',
  mqtt_qos_not_allowed: 'QoS above the allowed maximum',
  mqtt_retain_not_allowed: 'retain not allowed',
  mqtt_payload_too_large: 'payload larger than allowed',
  mqtt_payload_invalid: 'payload does not match its JSON Schema',
  mqtt_delivery_not_allowed: 'broker delivered a topic outside the subscribe allowlist',
} as const;

export type DenyReason = keyof typeof DenyReasons;
