// Interop checks between convgrad's Arrow files and the apache-arrow npm package.
//
//   node interop.mjs check <file> <dtype> <rows> <shape-json> <dim-names-json|null> [file|stream]
//     reads an IPC file written by convgrad and checks the id column, the tensor column's
//     extension name and metadata, its FixedSizeList<dtype> storage and every value.
//   node interop.mjs write <file> <dtype> <rows> <shape-json> <dim-names-json|null> [file|stream]
//     writes a table of the same form for convgrad to read.
//
// Values are value(i) = ((i * 7) % 97) * 0.25 - 12 for flat index i over all rows, exact in
// float16, float32 and float64. Exit 0 on success, 1 with a message otherwise.
import { readFileSync, writeFileSync } from 'node:fs';
import {
  Field, FixedSizeList, Float16, Float32, Float64, Int64, RecordBatch, Schema, Struct, Table,
  makeData, tableFromIPC, tableToIPC, util,
} from 'apache-arrow';

const value = (i) => ((i * 7) % 97) * 0.25 - 12;
const types = {
  float16: () => new Float16(), float32: () => new Float32(), float64: () => new Float64(),
};
const arrays = { float16: Uint16Array, float32: Float32Array, float64: Float64Array };

function fail(msg) {
  console.error('interop: ' + msg);
  process.exit(1);
}

const [cmd, file, dtype, rowsText, shapeText, namesText, format = 'file'] = process.argv.slice(2);
if (!cmd || !file || !types[dtype]) {
  fail('usage: node interop.mjs check|write <file> float16|float32|float64 <rows> <shape-json> <dim-names-json|null> [file|stream]');
}
const rows = Number(rowsText);
const shape = JSON.parse(shapeText);
const dimNames = JSON.parse(namesText);
const listSize = shape.reduce((a, b) => a * b, 1);

if (cmd === 'write') {
  const n = rows * listSize;
  const values = new arrays[dtype](n);
  for (let i = 0; i < n; i++) {
    values[i] = dtype === 'float16' ? util.float64ToUint16(value(i)) : value(i);
  }
  const item = new Field('item', types[dtype](), true);
  const listType = new FixedSizeList(listSize, item);
  const meta = { shape };
  if (dimNames !== null) meta.dim_names = dimNames;
  const tensorField = new Field('tensor', listType, true, new Map([
    ['ARROW:extension:name', 'arrow.fixed_shape_tensor'],
    ['ARROW:extension:metadata', JSON.stringify(meta)],
  ]));
  const idField = new Field('id', new Int64(), false);
  const ids = new BigInt64Array(rows);
  for (let r = 0; r < rows; r++) ids[r] = BigInt(1000 + r);
  const schema = new Schema([idField, tensorField]);
  const child = makeData({ type: types[dtype](), length: n, nullCount: 0, data: values });
  const list = makeData({ type: listType, length: rows, nullCount: 0, child });
  const idData = makeData({ type: new Int64(), length: rows, nullCount: 0, data: ids });
  const struct = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children: [idData, list] });
  const table = new Table([new RecordBatch(schema, struct)]);
  writeFileSync(file, tableToIPC(table, format));
  console.log(`wrote ${rows} rows of ${JSON.stringify(shape)} ${dtype} to ${file}`);
} else if (cmd === 'check') {
  const table = tableFromIPC(readFileSync(file));
  if (table.numRows !== rows) fail(`expected ${rows} rows, found ${table.numRows}`);
  const field = table.schema.fields.find((f) => f.name === 'tensor');
  if (!field) fail('no tensor column: ' + table.schema.fields.map((f) => f.name));
  const extName = field.metadata.get('ARROW:extension:name');
  if (extName !== 'arrow.fixed_shape_tensor') fail('extension name is ' + extName);
  const meta = JSON.parse(field.metadata.get('ARROW:extension:metadata'));
  if (JSON.stringify(meta.shape) !== JSON.stringify(shape)) fail('shape is ' + JSON.stringify(meta.shape));
  if (JSON.stringify(meta.dim_names ?? null) !== JSON.stringify(dimNames)) {
    fail('dim_names are ' + JSON.stringify(meta.dim_names));
  }
  if (!(field.type instanceof FixedSizeList)) fail('storage is ' + field.type);
  if (field.type.listSize !== listSize) fail(`list size ${field.type.listSize}, expected ${listSize}`);
  const childType = field.type.children[0].type;
  if (String(childType) !== String(types[dtype]())) fail(`value type ${childType}, expected ${types[dtype]()}`);
  const ids = table.getChild('id');
  const tensors = table.getChild('tensor');
  for (let r = 0; r < rows; r++) {
    if (ids.get(r) !== BigInt(r)) fail(`id of row ${r} is ${ids.get(r)}`);
    const row = tensors.get(r);
    if (row === null) fail(`row ${r} is null`);
    for (let j = 0; j < listSize; j++) {
      const got = row.get(j);
      const want = value(r * listSize + j);
      if (got !== want) fail(`row ${r} element ${j} is ${got}, expected ${want}`);
    }
  }
  console.log(`checked ${rows} rows of ${JSON.stringify(shape)} ${dtype} in ${file}`);
} else {
  fail('unknown command ' + cmd);
}
