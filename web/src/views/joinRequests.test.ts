import { describe, expect, it } from "vitest";
import { ApiError } from "../api";
import { answersProblem, approvalQuestions, parseQuestions, questionsProblem, requestStateText } from "./joinRequests";

describe("questions", () => {
  it("are typed one per line, blank lines and spaces dropped", () => {
    expect(parseQuestions("  Why join?\n\n Where do you live? \n")).toEqual(["Why join?", "Where do you live?"]);
    expect(parseQuestions("")).toEqual([]);
  });

  it("are refused above five or above 300 characters", () => {
    expect(questionsProblem(["a", "b", "c", "d", "e"])).toBeNull();
    expect(questionsProblem(["a", "b", "c", "d", "e", "f"])).toBe("At most 5 questions.");
    expect(questionsProblem(["ok", "x".repeat(301)])).toBe("Question 2 is longer than 300 characters.");
  });
});

describe("answersProblem", () => {
  it("wants a non-blank answer to every question", () => {
    expect(answersProblem(["Why?", "Where?"], ["because", "here"])).toBeNull();
    expect(answersProblem(["Why?", "Where?"], ["because", "  "])).toBe("Please answer: “Where?”");
    expect(answersProblem(["Why?"], [])).toBe("Please answer: “Why?”");
    expect(answersProblem([], [])).toBeNull();
    expect(answersProblem(["Why?"], ["x".repeat(1001)])).toBe("Answer 1 is longer than 1000 characters.");
  });
});

describe("approvalQuestions", () => {
  it("reads the questions of an approval_required refusal only", () => {
    const refusal = new ApiError(409, { code: "conflict", message: "approval", details: { reason: "approval_required", questions: ["Why?", 3] } });
    expect(approvalQuestions(refusal)).toEqual(["Why?"]);
    const other = new ApiError(409, { code: "conflict", message: "x", details: { reason: "already_member" } });
    expect(approvalQuestions(other)).toBeNull();
    expect(approvalQuestions(new Error("boom"))).toBeNull();
  });
});

describe("requestStateText", () => {
  it("says each state, a decline with its reason", () => {
    expect(requestStateText({ status: "pending", reason: "" })).toMatch(/^Request pending/);
    expect(requestStateText({ status: "declined", reason: "full for now" })).toBe("Your request was declined: full for now");
    expect(requestStateText({ status: "declined", reason: "" })).toBe("Your request was declined.");
    expect(requestStateText({ status: "approved", reason: "" })).toMatch(/approved/);
  });
});
