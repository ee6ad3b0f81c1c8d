/** OPC UA policy matching: channel checks, services, NodeId lists, envelopes, techniques. */
import { compileOpcuaRule, evaluateOpcuaChannel, evaluateOpcuaRequest, checkOpcuaRule } from '../../rules/matchers/opcua';
import type { ClientRules } from '../../rules/compiled';
import type { ServiceRequest } from '../../protocols/opcua';

const NONE = 'http://opcfoundation.org/UA/SecurityPolicy#None';
const B256 = 'http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256';

const rules = (...r: ReturnType<typeof compileOpcuaRule>[]): ClientRules =>
  ({ asset: { name: 'scada-1', zone: 'supervisory', level: 2, address: '10.20.0.10', role: null, vendor: null, safetyCritical: false }, modbus: [], opcua: r }) as unknown as ClientRules;

const scada = compileOpcuaRule('scada', null, {
  security: { policies: ['None'], modes: ['None'] },
  identities: ['username'],
  services: ['session', 'browse', 'read', 'write', 'call'],
  browse: ['ns=2;*'],
  read: ['ns=2;s=Chiller.*', 'ns=0;i=2256'],
  write: [{ node: 'ns=2;s=Chiller.Setpoint', min: 5, max: 25 }, 'ns=2;s=Chiller.Mode'],
  call: [{ object: 'ns=2;s=Chiller', method: 'ns=2;s=Chiller.ResetAlarm' }],
});
const secure = compileOpcuaRule('secure', null, { security: { policies: ['Basic256Sha256'], modes: ['SignAndEncrypt'] }, certificates: ['AB:CD:' + 'ef'.repeat(18)], services: ['read'] });

function req(p: Partial<ServiceRequest> & { service: string }): ServiceRequest {
  return { kind: 'request', typeName: `${p.service}Request`, requestHandle: 1, authenticationToken: 'ns=0;i=1', action: null, nodeIds: [], writes: [], calls: [], identity: null, endpointUrl: null, securityMode: null, ...p };
}
const facts = { endpointUrl: 'opc.tcp://chiller:4840', securityPolicyUri: NONE, securityMode: 'None' as const, certificateThumbprint: null };

describe('evaluateOpcuaRequest', () => {
  const r = rules(scada, secure);
  it('allows reads under the pattern and denies a Read mixing allowed and denied nodes whole', () => {
    expect(evaluateOpcuaRequest(r, facts, req({ service: 'Read', action: 'read', nodeIds: ['ns=2;s=Chiller.Setpoint', 'i=2256'] }), 'username', 0)).toEqual({ allow: true, rule: 'scada' });
    expect(evaluateOpcuaRequest(r, facts, req({ service: 'Read', action: 'read', nodeIds: ['ns=2;s=Chiller.Setpoint', 'ns=3;s=Other'] }), 'username', 0)).toMatchObject({ allow: false, reason: 'opcua_node_not_allowed', rule: 'scada', technique: 'T0861' });
  });
  it('checks write envelopes (T0836) and node lists (T0855); only the Value attribute', () => {
    const w = (nodeId: string, numbers: number[] | null, attributeId = 13) => req({ service: 'Write', action: 'write', nodeIds: [nodeId], writes: [{ nodeId, attributeId, numbers, dataType: numbers ? 'Double' : 'String' }] });
    expect(evaluateOpcuaRequest(r, facts, w('ns=2;s=Chiller.Setpoint', [20]), 'username', 0).allow).toBe(true);
    expect(evaluateOpcuaRequest(r, facts, w('ns=2;s=Chiller.Setpoint', [60]), 'username', 0)).toMatchObject({ reason: 'opcua_value_out_of_range', technique: 'T0836' });
    expect(evaluateOpcuaRequest(r, facts, w('ns=2;s=Chiller.Setpoint', null), 'username', 0)).toMatchObject({ reason: 'opcua_value_out_of_range' });
    expect(evaluateOpcuaRequest(r, facts, w('ns=2;s=Chiller.Mode', null), 'username', 0).allow).toBe(true);
    expect(evaluateOpcuaRequest(r, facts, w('ns=2;s=Chiller.Mode', [1], 4), 'username', 0)).toMatchObject({ reason: 'opcua_node_not_allowed' });
    expect(evaluateOpcuaRequest(r, facts, w('ns=2;s=Chiller.Temperature', [1]), 'username', 0)).toMatchObject({ reason: 'opcua_node_not_allowed', technique: 'T0855' });
  });
  it('matches calls on object and method; server methods map to T0858', () => {
    const c = (objectId: string, methodId: string) => req({ service: 'Call', action: 'call', nodeIds: [methodId], calls: [{ objectId, methodId }] });
    expect(evaluateOpcuaRequest(r, facts, c('ns=2;s=Chiller', 'ns=2;s=Chiller.ResetAlarm'), 'username', 0).allow).toBe(true);
    expect(evaluateOpcuaRequest(r, facts, c('ns=2;s=Other', 'ns=2;s=Chiller.ResetAlarm'), 'username', 0)).toMatchObject({ reason: 'opcua_node_not_allowed', technique: 'T0855' });
    expect(evaluateOpcuaRequest(r, facts, c('i=2253', 'i=12886'), 'username', 0)).toMatchObject({ technique: 'T0858' });
  });
  it('denies services outside the list and identities outside the list', () => {
    expect(evaluateOpcuaRequest(r, facts, req({ service: 'GetEndpoints' }), null, 0)).toMatchObject({ reason: 'opcua_service_not_allowed', technique: 'T0846' });
    expect(evaluateOpcuaRequest(r, facts, req({ service: 'ActivateSession', identity: 'anonymous' }), null, 0)).toMatchObject({ reason: 'opcua_identity_not_allowed' });
    expect(evaluateOpcuaRequest(r, facts, req({ service: 'ActivateSession', identity: 'username' }), null, 0).allow).toBe(true);
    expect(evaluateOpcuaRequest(r, facts, req({ service: 'Read', action: 'read', nodeIds: ['ns=2;s=Chiller.Mode'] }), 'anonymous', 0)).toMatchObject({ reason: 'opcua_identity_not_allowed' });
  });
  it('default deny without rules', () => {
    expect(evaluateOpcuaRequest(null, facts, req({ service: 'Read' }), null, 0)).toMatchObject({ allow: false, reason: 'no_rule', rule: null });
  });
});

describe('evaluateOpcuaChannel', () => {
  const r = rules(scada, secure);
  it('requires the listed certificate on a secure channel (colons and case ignored)', () => {
    const ok = { securityPolicyUri: B256, securityMode: 'SignAndEncrypt' as const, certificateThumbprint: 'abcd' + 'ef'.repeat(18) };
    expect(evaluateOpcuaChannel(r, ok, 0)).toEqual({ allow: true, rule: 'secure' });
    expect(evaluateOpcuaChannel(r, { ...ok, certificateThumbprint: '00'.repeat(20) }, 0)).toMatchObject({ reason: 'opcua_certificate_not_allowed', rule: 'secure', technique: 'T0886' });
    expect(evaluateOpcuaChannel(r, { ...ok, securityMode: 'Sign' }, 0)).toMatchObject({ reason: 'opcua_security_not_allowed' });
  });
  it('passes facts not known yet', () => {
    expect(evaluateOpcuaChannel(r, { endpointUrl: 'opc.tcp://x' }, 0).allow).toBe(true);
  });
});

describe('checkOpcuaRule', () => {
  it('reports NodeIds that do not parse and inverted envelopes', () => {
    expect(checkOpcuaRule({ services: ['read'], read: ['ns=2;s=ok', 'nonsense=1'], write: [{ node: 'ns=2;s=X', min: 9, max: 1 }] }).map((p) => p.path)).toEqual([['read', 1], ['write', 0]]);
  });
});
