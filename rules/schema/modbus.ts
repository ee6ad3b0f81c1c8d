/**
 * The Modbus part of the policy: the rule body (`modbus:` in a rule) and the conduit options
 * (`modbus:` in a conduit). References: Modbus Application Protocol Specification V1.1b3 (MB-AP).
 */
import { Type, type Static } from '@sinclair/typebox';
import { literals, RangeText } from './common';
import { DEFAULT_MODBUS_EXCEPTIONS } from './constants';
import { FUNCTION_NAMES, PRESET_CODES } from './modbus-functions';

export { DEFAULT_MODBUS_EXCEPTIONS } from './constants';

/** Named groups of function codes (MB-AP §5.1 public function codes), declared in ./modbus-functions.ts. */
export const FUNCTION_PRESETS = PRESET_CODES;

const UnitId = Type.Union(
  [Type.Integer({ minimum: 0, maximum: 255, description: 'unit identifier (MB-TCP §3.1.3)' }), RangeText('unit id')],
  { title: 'unit id', description: 'a unit id 0..255 or an inclusive range "a-b"' },
);

const FunctionRef = Type.Union(
  [
    Type.Integer({ minimum: 1, maximum: 127, description: 'function code (MB-AP §5.1; 128..255 are exception replies)' }),
    literals([...Object.keys(FUNCTION_PRESETS), ...FUNCTION_NAMES] as string[], {
      title: 'function name or preset',
      description: 'a function name (e.g. write_single_register) or a preset: read-only, read-write, diagnostics, device-identification',
    }),
  ],
  { title: 'function', description: 'function code 1..127, function name, or preset' },
);

const Address = Type.Integer({ minimum: 0, maximum: 65535, description: '0-based PDU address (holding register 40001 is address 0)' });

const ReadRange = Type.Union([Address, RangeText('address')], {
  title: 'address range',
  description: 'a 0-based PDU address or an inclusive range "a-b"',
});

const Envelope = Type.Object(
  {
    range: Type.Union([Address, RangeText('address')], { title: 'address range', description: 'addresses this envelope covers' }),
    min: Type.Optional(Type.Integer({ minimum: -32768, maximum: 65535, description: 'smallest value that may be written (inclusive)' })),
    max: Type.Optional(Type.Integer({ minimum: -32768, maximum: 65535, description: 'largest value that may be written (inclusive)' })),
    signed: Type.Optional(Type.Boolean({ description: 'compare register words as int16 (two\'s complement); default false (uint16)', default: false })),
  },
  { additionalProperties: false, title: 'value envelope', description: 'writable addresses whose written values must lie in min..max' },
);

const WriteRange = Type.Union([Address, RangeText('address'), Envelope], {
  title: 'write range',
  description: 'a 0-based PDU address, a range "a-b", or {range, min, max} limiting the written values',
});

const tables = <T extends Parameters<typeof Type.Array>[0]>(item: T, what: string) =>
  Type.Object(
    {
      coils: Type.Optional(Type.Array(item, { description: `coil addresses that may be ${what}` })),
      discrete_inputs: Type.Optional(Type.Array(item, { description: `discrete input addresses that may be ${what}` })),
      input_registers: Type.Optional(Type.Array(item, { description: `input register addresses that may be ${what}` })),
      holding_registers: Type.Optional(Type.Array(item, { description: `holding register addresses that may be ${what}` })),
    },
    { additionalProperties: false },
  );

export const ModbusRuleSchema = Type.Object(
  {
    unit_ids: Type.Array(UnitId, { minItems: 1, description: 'unit ids this rule applies to; other units are refused' }),
    functions: Type.Array(FunctionRef, { minItems: 1, description: 'allowed function codes, names or presets' }),
    diagnostics: Type.Optional(
      Type.Array(Type.Integer({ minimum: 0, maximum: 65535 }), {
        description: 'allowed FC 8 sub-functions (MB-AP §6.8); none when absent. 1 (restart) and 4 (listen only) stop a device',
      }),
    ),
    mei_types: Type.Optional(
      Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), {
        description: 'allowed FC 43 MEI types (MB-AP §6.19-6.21: 13 CANopen, 14 device identification); none when absent',
      }),
    ),
    read: Type.Optional(tables(ReadRange, 'read')),
    write: Type.Optional(tables(WriteRange, 'written')),
    mask_write_unbounded: Type.Optional(
      literals(['deny', 'allow'] as const, {
        description:
          'FC 22 on an enveloped range when the result cannot be bounded from the masks alone (it depends on the current value): deny (default) or allow',
        default: 'deny',
      }),
    ),
  },
  { additionalProperties: false, title: 'Modbus rule', description: 'what the rule\'s clients may do over Modbus TCP' },
);

export type ModbusRuleSpec = Static<typeof ModbusRuleSchema>;

const ExceptionCode = (what: string, dflt: number) =>
  Type.Integer({ minimum: 1, maximum: 255, default: dflt, description: `exception code (MB-AP §7) sent when ${what}; default ${dflt}` });

export const ModbusConduitSchema = Type.Object(
  {
    exceptions: Type.Optional(
      Type.Object(
        {
          function: Type.Optional(ExceptionCode('the unit, function or sub-function is not allowed (and for default deny)', DEFAULT_MODBUS_EXCEPTIONS.function)),
          address: Type.Optional(ExceptionCode('an address is outside the allowed ranges', DEFAULT_MODBUS_EXCEPTIONS.address)),
          value: Type.Optional(ExceptionCode('a written value is outside its envelope', DEFAULT_MODBUS_EXCEPTIONS.value)),
        },
        { additionalProperties: false, description: 'exception code per deny reason' },
      ),
    ),
  },
  { additionalProperties: false, title: 'Modbus conduit options' },
);

export type ModbusConduitSpec = Static<typeof ModbusConduitSchema>;
