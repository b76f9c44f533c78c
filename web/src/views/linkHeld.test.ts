import { describe, expect, it } from "vitest";
import { linkHeldText } from "./linkHeld";

describe("linkHeldText", () => {
  it("says who and where when known", () => {
    expect(linkHeldText("Ada", "Night owls")).toBe("Ada joined recently, so their link in Night owls was held back for review:");
  });

  it("falls back to plain words when the name or circle is unknown", () => {
    expect(linkHeldText(undefined, undefined)).toBe("A new member joined recently, so their link was held back for review:");
  });
});
