// The reports' wire types, named for the console: the server's own models from wire.gen.ts
// (generated from its OpenAPI document by `scripts/openapi`; never written by hand).

import type { components } from "../wire.gen";

type Schemas = components["schemas"];

export type ActivityReport = Schemas["ActivityReportOut"];
export type DayCount = Schemas["DayCountOut"];
export type Money = Schemas["MoneyOut"];
export type Revenue = Schemas["RevenueOut"];
export type RevenueRow = Schemas["RevenueRowOut"];
export type MonthRevenue = Schemas["MonthRevenueOut"];
export type ActivityRevenue = Schemas["ActivityRevenueOut"];
export type ProviderRevenue = Schemas["ProviderRevenueOut"];
export type Outstanding = Schemas["OutstandingOut"];

// The circle report and the member lifecycle (docs/protocol.md, "Circle report", "Member
// lifecycle and RFM").
export type CircleReport = Schemas["CircleReportOut"];
export type CircleBucket = Schemas["CircleBucketOut"];
export type Cohort = Schemas["CohortOut"];
export type Period = CircleReport["period"];
export type MembersLifecycle = Schemas["MembersLifecycleOut"];
export type Stage = Schemas["MemberStandingOut"]["stage"];
export type Segment = Schemas["MemberStandingOut"]["segments"][number];
export type MemberStanding = Schemas["MemberStandingOut"];

// Outreach (docs/protocol.md, "Outreach").
export type Outreach = Schemas["OutreachOut"];
export type OutreachIn = Schemas["OutreachIn"];
export type OutreachKind = Outreach["kind"];
