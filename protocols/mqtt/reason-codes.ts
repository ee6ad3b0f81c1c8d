/**
 * Reason / return codes otgate puts on the wire when it refuses something.
 * MQTT 5 reason codes: v5 §2.4 Table 2-6. MQTT 3.1.1 return codes: §3.2.2.3 (CONNACK), §3.9.3 (SUBACK).
 */
export const V5Reason = {
  Success: 0x00,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  ClientIdentifierNotValid: 0x85,
  NotAuthorized: 0x87,
  PacketIdentifierNotFound: 0x92,
  PacketTooLarge: 0x95,
  QuotaExceeded: 0x97,
} as const;

export const V3ConnackReturn = {
  Accepted: 0x00,
  IdentifierRejected: 0x02,
  NotAuthorized: 0x05,
} as const;

/** 3.1.1 §3.9.3: SUBACK return code 0x80 = Failure. */
export const V3SubackFailure = 0x80;
