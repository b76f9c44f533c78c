import { describe, expect, it } from "vitest";
import { circleSummary, durationText, recentWindow, summaryText } from "./circleSummary";
import { bucket, circleReport } from "./testCircleReport";

describe("the circle report's summary", () => {
  it("says who joined this week, who has not spoken, and how the talk went", () => {
    const s = circleSummary(circleReport(), "2026-12-03");
    expect(s).toEqual({
      head: "12 new members this week, 2 left; 5 have not said anything yet",
      hello: 5,
      tail: "148 messages from 9 speakers; 9 of 12 questions answered (median 4 min, 90% within 20 min); stickiness (DAU/MAU) 23%.",
    });
    expect(summaryText(s)).toBe(
      "12 new members this week, 2 left; 5 have not said anything yet — say hello? 148 messages from 9 speakers; " +
        "9 of 12 questions answered (median 4 min, 90% within 20 min); stickiness (DAU/MAU) 23%.",
    );
  });

  it("names a past week by its Monday and a month by its name", () => {
    expect(circleSummary(circleReport(), "2026-12-10").head).toBe("12 new members in the week of 30 Nov, 2 left; 5 have not said anything yet");
    const month = circleReport({ period: "month", buckets: [bucket("2026-12-01", "2026-12-03", { newcomers: 1, activated: 1, messages: 1, speakers: 1 })] });
    expect(summaryText(circleSummary(month, "2026-12-03"))).toBe("1 new member this month. 1 message from 1 speaker.");
    expect(circleSummary(month, "2027-01-05").head).toBe("1 new member in Dec 2026");
  });

  it("adds up the last 7 days of a daily report, quoting no median of days", () => {
    const days = Array.from({ length: 9 }, (_, i) => {
      const day = new Date(Date.UTC(2026, 10, 25 + i)).toISOString().slice(0, 10); // 25 Nov .. 3 Dec
      return bucket(day, day, {
        newcomers: 1,
        activated: i % 2,
        messages: 10,
        speakers: 3,
        reply_speed: { prompts: 2, answered: 1, unanswered: 1, ratio: 0.5, median_seconds: 30, p90_seconds: 60 },
      });
    });
    const r = circleReport({ period: "day", buckets: days });
    expect(recentWindow(r, "2026-12-03").buckets.map((b) => b.start)).toEqual([
      "2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03",
    ]);
    const s = circleSummary(r, "2026-12-03");
    expect(s.head).toBe("7 new members in the last 7 days; 4 have not said anything yet");
    expect(s.tail).toBe("70 messages; 7 of 14 questions answered.");
    expect(circleSummary(r, "2026-12-09").head).toMatch(/^7 new members in the 7 days to 3 Dec;/);
  });

  it("offers no hello when every newcomer joined in, and says so when nobody came", () => {
    const quiet = circleReport({ buckets: [bucket("2026-11-30", "2026-12-03", { newcomers: 2, activated: 2 })] });
    expect(circleSummary(quiet, "2026-12-03")).toMatchObject({ head: "2 new members this week", hello: 0 });
    const none = circleReport({ buckets: [bucket("2026-11-30", "2026-12-03", { left: 1 })] });
    expect(summaryText(circleSummary(none, "2026-12-03"))).toBe("No new members this week, 1 left. 0 messages from 0 speakers.");
    expect(circleSummary(circleReport({ buckets: [] }), "2026-12-03")).toEqual({ head: "No data for this range", hello: 0, tail: "" });
  });

  it("writes waits as a reader says them", () => {
    expect(durationText(0)).toBe("0 s");
    expect(durationText(44.6)).toBe("45 s");
    expect(durationText(240)).toBe("4 min");
    expect(durationText(3600)).toBe("1 h");
    expect(durationText(7800)).toBe("2 h 10 min");
    expect(durationText(3 * 86400 + 4 * 3600)).toBe("3 d 4 h");
  });
});
