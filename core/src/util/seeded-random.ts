const MASK64 = (1n << 64n) - 1n;

/** splitmix64: expands a seed into well-mixed 64-bit words (used only to seed xoshiro). */
function splitmix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [next, z ^ (z >> 31n)];
}

/** FNV-1a over UTF-16 code units: turns a stream name into 32 bits. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * A seeded generator (xoshiro128**, seeded through splitmix64) with Box-Muller normals. Identical on every
 * platform and Node version, unlike Math.random; a `stream` name gives independent sequences per tensor, so
 * adding a tensor never changes the values of the others.
 */
export class SeededRandom {
  private readonly s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed: number | bigint, stream = '') {
    let state = (BigInt(seed) & MASK64) ^ (BigInt(hashString(stream)) << 32n);
    for (let i = 0; i < 2; i++) {
      const [next, word] = splitmix64(state);
      state = next;
      this.s[2 * i] = Number(word & 0xffffffffn);
      this.s[2 * i + 1] = Number(word >> 32n);
    }
    if (this.s.every((x) => x === 0)) this.s[0] = 1; // xoshiro's only invalid state
  }

  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal by Box-Muller (both values of each pair are used). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const u1 = 1 - this.nextFloat(); // (0, 1]: log stays finite
    const u2 = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  fillNormal(out: Float32Array | Float64Array, mean: number, std: number): void {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
