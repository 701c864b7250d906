// The Parquet schema of a table: one leaf column per Arrow field (lists as the standard
// three-level LIST), with the physical and logical types DuckDB reads back as the Arrow ones.
import { Type, type DataType, type Field, type Schema } from 'apache-arrow';
import { binary, bool, i32, i8, struct, type ThriftStruct, type ThriftValue } from './thrift.js';

const PHYSICAL = { BOOLEAN: 0, INT32: 1, INT64: 2, BYTE_ARRAY: 6, FIXED_LEN_BYTE_ARRAY: 7 } as const;
const CONVERTED = { UTF8: 0, LIST: 3, UINT_8: 11, UINT_16: 12, UINT_32: 13, UINT_64: 14, INT_8: 15, INT_16: 16, INT_32: 17, INT_64: 18 } as const;
const REPETITION = { REQUIRED: 0, OPTIONAL: 1, REPEATED: 2 } as const;

/** A leaf column of the Parquet schema, for one top-level Arrow field. */
export interface Leaf {
  readonly path: readonly string[];
  readonly physical: number;
  readonly maxDef: number;
  readonly maxRep: number;
}

export function intInfo(t: DataType): { bits: number; signed: boolean } {
  const x = t as unknown as { bitWidth: number; isSigned: boolean };
  return { bits: x.bitWidth, signed: x.isSigned };
}

/** The schema element of a leaf type (name and repetition added by the caller). */
function leafType(t: DataType): ThriftStruct {
  switch (t.typeId) {
    case Type.Int: {
      const { bits, signed } = intInfo(t);
      const converted = signed ? { 8: CONVERTED.INT_8, 16: CONVERTED.INT_16, 32: CONVERTED.INT_32, 64: CONVERTED.INT_64 }[bits]
        : { 8: CONVERTED.UINT_8, 16: CONVERTED.UINT_16, 32: CONVERTED.UINT_32, 64: CONVERTED.UINT_64 }[bits];
      return [
        [1, i32(bits === 64 ? PHYSICAL.INT64 : PHYSICAL.INT32)],
        [6, i32(converted!)],
        [10, struct([[10, struct([[1, i8(bits)], [2, bool(signed)]])]])],
      ];
    }
    case Type.Bool: return [[1, i32(PHYSICAL.BOOLEAN)]];
    case Type.Utf8: return [[1, i32(PHYSICAL.BYTE_ARRAY)], [6, i32(CONVERTED.UTF8)], [10, struct([[1, struct([])]])]];
    case Type.Binary: return [[1, i32(PHYSICAL.BYTE_ARRAY)]];
    case Type.FixedSizeBinary: return [[1, i32(PHYSICAL.FIXED_LEN_BYTE_ARRAY)], [2, i32((t as unknown as { byteWidth: number }).byteWidth)]];
    default: throw new Error(`no Parquet mapping for Arrow type ${t}`);
  }
}

function element(name: string, repetition: number, fields: ThriftStruct): ThriftValue {
  const all: Array<readonly [number, ThriftValue | undefined]> = [[3, i32(repetition)], [4, binary(name)], ...fields];
  return struct(all.sort((a, b) => a[0] - b[0])); // thrift wants ascending field ids
}

/** Parquet schema elements and leaves for an Arrow schema of flat columns and lists of flat values. */
export function parquetSchema(schema: Schema): { elements: ThriftValue[]; leaves: Leaf[] } {
  const elements: ThriftValue[] = [struct([[4, binary('schema')], [5, i32(schema.fields.length)]])];
  const leaves: Leaf[] = [];
  for (const f of schema.fields) {
    const rep = f.nullable ? REPETITION.OPTIONAL : REPETITION.REQUIRED;
    if (f.type.typeId === Type.List) {
      const child = (f.type as unknown as { children: Field[] }).children[0]!;
      elements.push(element(f.name, rep, [[5, i32(1)], [6, i32(CONVERTED.LIST)], [10, struct([[3, struct([])]])]]));
      elements.push(element('list', REPETITION.REPEATED, [[5, i32(1)]]));
      elements.push(element('element', child.nullable ? REPETITION.OPTIONAL : REPETITION.REQUIRED, leafType(child.type)));
      leaves.push({ path: [f.name, 'list', 'element'], physical: physicalOf(child.type), maxRep: 1, maxDef: (f.nullable ? 1 : 0) + 1 + (child.nullable ? 1 : 0) });
    } else {
      elements.push(element(f.name, rep, leafType(f.type)));
      leaves.push({ path: [f.name], physical: physicalOf(f.type), maxRep: 0, maxDef: f.nullable ? 1 : 0 });
    }
  }
  return { elements, leaves };
}

function physicalOf(t: DataType): number {
  return (leafType(t)[0]![1] as { v: number }).v;
}

