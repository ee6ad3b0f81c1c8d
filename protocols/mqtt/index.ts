/** MQTT 3.1 / 3.1.1 / 5: pure decoding, session state and the packets otgate writes itself. */
export * from './types';
export * from './anomalies';
export * from './reason-codes';
export { readFixedHeader, MAX_REMAINING_LENGTH } from './fixed-header';
export { MqttPacketDecoder } from './decoder';
export { MqttSession, type Observation, type WillInfo, type Phase } from './session';
export { isValidTopicFilter, isValidTopicName, effectiveFilter } from './topic';
export * from './encode';
export { mqttFields, summarizeMqtt, packetTypeName } from './describe';
