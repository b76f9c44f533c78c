import { afterEach, describe, expect, it, vi } from "vitest";
import { newClientId } from "./ids";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("client ids", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("are random v4 UUIDs", () => {
    const ids = new Set(Array.from({ length: 1000 }, newClientId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(UUID_V4);
  });

  it("are still v4 UUIDs where randomUUID is missing (an insecure context)", () => {
    const real = globalThis.crypto;
    // Only getRandomValues, as on a page served over plain http; filled with 0xff, so the
    // version and variant bits must be set by newClientId itself.
    vi.stubGlobal("crypto", {
      getRandomValues: <T extends ArrayBufferView>(a: T): T => {
        new Uint8Array(a.buffer, a.byteOffset, a.byteLength).fill(0xff);
        return a;
      },
    });
    expect(newClientId()).toBe("ffffffff-ffff-4fff-bfff-ffffffffffff");
    vi.stubGlobal("crypto", { getRandomValues: real.getRandomValues.bind(real) });
    const ids = new Set(Array.from({ length: 200 }, newClientId));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(UUID_V4);
  });
});
