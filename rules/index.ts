/** The policy layer's public surface: text → policy → compiled policy → verdicts. */
export { loadPolicyFile, loadPolicyText, type LoadResult } from './load';
export { compilePolicy, type CompileMeta } from './compile';
export { checkPolicyFile, type CheckResult, type PolicySummary } from './check';
export { formatDiagnostic, PolicyCodes, type PolicyCode, type PolicyDiagnostic } from './diagnostics';
export { evaluateModbus, type CompiledModbusRule, type ModbusConduitOptions } from './matchers/modbus';
export { ATTACK_TABLE, Techniques, modbusTechnique, techniqueFor, type TechniqueId } from './attack';
export { DenyReasons, type DenyReason } from './reasons';
export { allow, deny, type Verdict } from './verdict';
export type * from './compiled';
export { PolicySchema, type Policy } from './schema/policy';
