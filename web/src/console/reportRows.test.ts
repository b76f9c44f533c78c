import { describe, expect, it } from "vitest";
import { bucketLabels, cohortColumns, cohortShare, memberColumns, reportSeries, shadeLevel, talkColumns } from "./reportRows";
import { cellText, sortRows, tableCsv } from "./table";
import { bucket, circleReport } from "./testCircleReport";

describe("the circle report's charts", () => {
  it("label buckets by period, with the year when the range spans two", () => {
    expect(bucketLabels(circleReport())).toEqual(["Week of 23 Nov", "Week of 30 Nov"]);
    expect(bucketLabels(circleReport({ period: "month", buckets: [bucket("2026-11-01", "2026-11-30"), bucket("2026-12-01", "2026-12-03")] }))).toEqual([
      "Nov 2026",
      "Dec 2026",
    ]);
    const days = circleReport({ period: "day", buckets: [bucket("2026-12-31", "2026-12-31"), bucket("2027-01-01", "2027-01-01")] });
    expect(bucketLabels(days)).toEqual(["31 Dec 2026", "1 Jan 2027"]);
  });

  it("give shares in percent, waits in minutes, and a gap where the server has no number", () => {
    const s = reportSeries(circleReport());
    expect(s.members).toEqual([13, 23]);
    expect(s.joined).toEqual([3, 12]);
    expect(s.left).toEqual([0, 2]);
    expect(s.stickiness[0]).toBeNaN();
    expect(s.stickiness[1]).toBe(22.5);
    expect(s.medianMinutes[1]).toBe(4);
    expect(s.p90Minutes[1]).toBe(20.2);
    expect(s.replyRatio[1]).toBe(75);
    expect(s.activation[0]).toBeNaN();
    expect(s.activation[1]).toBe(58.3);
  });
});

describe("the circle report's tables", () => {
  it("show shares and waits as text, and write the raw numbers to CSV", () => {
    const rows = circleReport().buckets;
    const talk = talkColumns("week");
    expect(talk.map((c) => cellText(c, rows[1]))).toEqual([
      "30 Nov 2026", "148", "0", "9", "14", "12", "9", "75%", "4 min", "20 min", "12", "7", "58%",
    ]);
    expect(tableCsv(talk, rows).split("\r\n")[2]).toBe("2026-11-30,148,0,9,14,12,9,0.75,240,1210.5,12,7,0.5833333333333334");
    expect(tableCsv(memberColumns("day"), rows).split("\r\n")[0]).toBe("Day,Joined,Left,Net,Members,Active,DAU,WAU,MAU,Stickiness");
    expect(sortRows(rows, memberColumns("week"), { key: "members", dir: "desc" }).map((b) => b.start)).toEqual(["2026-11-30", "2026-11-23"]);
  });

  it("give each cohort week's retention with its share, shaded by fifths, blank before a week begins", () => {
    const [first, second] = circleReport().cohorts;
    const columns = cohortColumns();
    expect(columns.map((c) => cellText(c, first))).toEqual(["23 Nov 2026", "3", "2 (67%)", "", "", "", "", "", "", ""]);
    expect(cohortShare(first, 1)).toBeCloseTo(2 / 3);
    expect(cohortShare(first, 2)).toBeNull();
    expect(cohortShare({ week: "2026-11-30", joined: 0, retained: [0, null, null, null, null, null, null, null] }, 1)).toBeNull();
    expect([null, 0, 0.1, 0.2, 0.21, 2 / 3, 1].map(shadeLevel)).toEqual([null, 0, 1, 1, 2, 4, 5]);
    expect(tableCsv(columns, [first, second]).split("\r\n").slice(0, 2)).toEqual([
      "Joined in the week of,Newcomers,Week 1,Week 2,Week 3,Week 4,Week 5,Week 6,Week 7,Week 8",
      "2026-11-23,3,2,,,,,,,",
    ]);
  });
});
