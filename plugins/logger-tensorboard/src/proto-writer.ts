/** Protobuf wire types used here (varint, 64-bit, length-delimited, 32-bit). */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

const utf8 = new TextEncoder();

/**
 * Just enough of the protobuf encoding for event files: fields are appended in call order, and callers
 * skip proto3 defaults themselves (an omitted field and a zero decode the same).
 */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];

  /** int32/int64/uint64/bool/enum fields; negative values take ten bytes (two's complement), as int64 does. */
  varint(field: number, value: number | bigint | boolean): this {
    this.key(field, VARINT);
    this.parts.push(encodeVarint(BigInt.asUintN(64, BigInt(value))));
    return this;
  }

  double(field: number, value: number): this {
    this.key(field, FIXED64);
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleLE(value);
    this.parts.push(bytes);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, FIXED32);
    const bytes = Buffer.alloc(4);
    bytes.writeFloatLE(value);
    this.parts.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED);
    this.parts.push(encodeVarint(BigInt(value.length)), value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  finish(): Uint8Array {
    return Buffer.concat(this.parts);
  }

  private key(field: number, wireType: number): void {
    this.parts.push(encodeVarint(BigInt((field << 3) | wireType)));
  }
}

function encodeVarint(value: bigint): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return Uint8Array.from(bytes);
}
