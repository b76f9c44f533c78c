import { describe, expect, it } from "vitest";
import { FUNNEL_COLUMNS, REFERRAL_COLUMNS, funnelRows, noticeText, referralRows } from "./activityRows";
import { cellText, tableCsv } from "./table";
import { activityReport } from "./testReports";

describe("the funnel", () => {
  it("gives each stage with its share of the people who signed up", () => {
    expect(funnelRows(activityReport())).toEqual([
      { stage: "Viewed (share page)", people: 14, percent: null },
      { stage: "Signed up", people: 13, percent: 100 },
      { stage: "Confirmed", people: 12, percent: 92 },
      { stage: "Attended", people: 11, percent: 85 },
    ]);
  });

  it("says views were not counted, and shows no share when nobody signed up", () => {
    const rows = funnelRows(activityReport({ funnel: { viewed: null, signed_up: 0, confirmed: 0, attended: 0 } }));
    expect(cellText(FUNNEL_COLUMNS[1], rows[0])).toBe("not counted");
    expect(rows.map((r) => r.percent)).toEqual([null, null, null, null]);
    expect(tableCsv(FUNNEL_COLUMNS, rows).split("\r\n")[1]).toBe("Viewed (share page),,");
  });
});

describe("referral sources", () => {
  it("gives sign-ups and share-page visitors per channel", () => {
    expect(referralRows(activityReport())).toEqual([
      { channel: "link", signups: 3, visitors: 10 },
      { channel: "poster", signups: 2, visitors: 3 },
      { channel: "going", signups: 0, visitors: 1 },
    ]);
    const uncounted = referralRows(activityReport({ views: { share_page: null } }));
    expect(uncounted.map((r) => r.visitors)).toEqual([null, null, null]);
    expect(cellText(REFERRAL_COLUMNS[0], uncounted[1])).toBe("Poster (QR)");
  });
});

describe("notice before the start", () => {
  it("is in hours under two days, else in days and hours", () => {
    expect(noticeText(2.25)).toBe("2.3 h");
    expect(noticeText(47.9)).toBe("47.9 h");
    expect(noticeText(48)).toBe("2 d");
    expect(noticeText(50.5)).toBe("2 d 3 h");
  });
});
