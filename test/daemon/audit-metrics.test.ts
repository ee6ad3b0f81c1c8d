import {
  connectionClosed, connectionOpened, countConnection, countFrame, countRelayTrip, countReload, metricsText, metricValue, setRelayState,
} from '../../daemon/stats';

test('frame counters by proto, outcome and direction', async () => {
  const before = await metricValue('otgate_frames_total', { proto: 'modbus', outcome: 'deny', dir: 'request' });
  for (let i = 0; i < 5; i++) countFrame('modbus', 'deny', 'request');
  countFrame('mqtt', 'allow', 'response');
  expect(await metricValue('otgate_frames_total', { proto: 'modbus', outcome: 'deny', dir: 'request' })).toBe(before + 5);
  expect(await metricValue('otgate_frames_total', { proto: 'mqtt', outcome: 'allow', dir: 'response' })).toBeGreaterThanOrEqual(1);
});

test('connections: totals by result and an open gauge per conduit', async () => {
  countConnection('hmi-plc', 'accepted');
  countConnection('hmi-plc', 'accepted');
  countConnection('hmi-plc', 'rejected_limit');
  connectionOpened('hmi-plc');
  connectionOpened('hmi-plc');
  connectionClosed('hmi-plc');
  expect(await metricValue('otgate_connections_total', { conduit: 'hmi-plc', result: 'accepted' })).toBe(2);
  expect(await metricValue('otgate_connections_open', { conduit: 'hmi-plc' })).toBe(1);
});

test('relay state is an enum gauge: exactly one state at 1', async () => {
  setRelayState('closed');
  setRelayState('isolated');
  countRelayTrip('violation');
  expect(await metricValue('otgate_relay_state', { state: 'isolated' })).toBe(1);
  expect(await metricValue('otgate_relay_state', { state: 'closed' })).toBe(0);
  expect(await metricValue('otgate_relay_trips_total', { cause: 'violation' })).toBe(1);
});

test('the text exposition names every declared metric', async () => {
  countReload('applied');
  const text = await metricsText();
  for (const name of [
    'otgate_frames_total', 'otgate_connections_total', 'otgate_connections_open', 'otgate_audit_queue_dropped_total',
    'otgate_audit_rows_written_total', 'otgate_policy_reloads_total', 'otgate_relay_state', 'otgate_relay_trips_total', 'otgate_siem_messages_total',
  ]) expect(text).toContain(`# TYPE ${name} `);
  expect(text).toContain('otgate_policy_reloads_total{result="applied"} 1');
});
