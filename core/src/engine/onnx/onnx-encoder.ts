export function encodeModel(): Uint8Array { throw new Error("not written yet"); }
