// The organiser's check-in page (#/activity/<id>/checkin), made for a phone at the door: scan
// the attendee's ticket QR with the camera (or decode a photo of it, through the same decoder),
// and see a big ✓ with their name or ✗ with the reason; check someone in by name when their
// phone is dead; undo a mistaken check-in. A typed ticket code (or a USB scanner typing one)
// still works. Each answer is also listed, newest first, with the refusal reasons spelled out.

import { activities, activityError, errorReason, REASONS } from "../activities";
import { api } from "../api";
import { h, replaceChildren, userText } from "../dom";
import { decodeFile, decoderName, startCamera, type Camera } from "../qrscan";
import { activityHash } from "../router";
import { store } from "../store";
import type { Attendee } from "../types";

/** Whom an answer is about: from the door list, or only a name the client knows. */
type Who = Pick<Attendee, "user_id" | "display_name"> & { handle?: string };
import { doorList } from "./checkinList";
import type { View } from "./view";

const CHECKIN_REASONS: Record<string, string> = {
  invalid_code: "Not a valid ticket code. Check it was copied completely.",
  wrong_activity: "This ticket is for another activity.",
  expired: "This code has expired (codes last 60 seconds). Ask the attendee to show the current one.",
  already_checked_in: "Already checked in: this ticket was used before.",
  not_confirmed: "This person has no confirmed seat.",
  not_signed_up: "This person has not signed up.",
  not_checked_in: "This person is not checked in.",
};

/** A code read again this soon shows its first answer again instead of "already checked in". */
const SAME_CODE_MS = 15_000;
/** After an answer, the camera waits this long so the ✓/✗ can be seen. */
const HOLD_VERDICT_MS = 1_200;

export function checkinView(id: string): View {
  const heading = h("h1", {}, "Check-in");
  const verdict = h("div", { class: "checkin-verdict", testid: "checkin-verdict", attrs: { role: "status", "aria-live": "assertive" } });
  verdict.hidden = true;
  const results = h("ol", { class: "checkin-results", testid: "checkin-results" });
  const door = doorList(
    id,
    (who, undo) => show(undo ? "undone" : "ok", who, undo ? "Check-in undone" : "Checked in"),
    (err) => void refused(err),
  );
  let busy = false;
  const recent = new Map<string, { at: number; kind: string; who: Who | null; text: string }>();

  /** The big ✓/✗ answer; `log` also lists it in the history below. */
  function show(kind: string, who: Who | null, text: string, log = true): void {
    const ok = kind === "ok";
    verdict.hidden = false;
    verdict.className = `checkin-verdict ${ok ? "ok" : kind === "undone" ? "undone" : "refused"}`;
    verdict.dataset.result = kind;
    if (who) verdict.dataset.userId = who.user_id;
    else delete verdict.dataset.userId;
    const undo =
      ok && who
        ? h(
            "button",
            { testid: "checkin-verdict-undo", attrs: { type: "button" }, on: { click: () => void undoFor(who) } },
            "Undo",
          )
        : null;
    replaceChildren(
      verdict,
      h("span", { class: "verdict-mark", testid: "checkin-verdict-mark", attrs: { "aria-hidden": "true" } }, ok ? "✓" : kind === "undone" ? "↺" : "✗"),
      h(
        "div",
        { class: "verdict-text" },
        who ? h("strong", { class: "verdict-name" }, userText(who.display_name, "checkin-verdict-name")) : null,
        who?.handle ? h("span", { class: "muted" }, ` @${who.handle}`) : null,
        h("p", { testid: "checkin-verdict-text" }, text),
      ),
      undo,
    );
    const mark = ok ? "✓" : kind === "undone" ? "↺" : "✗";
    if (!log) return;
    results.prepend(
      h(
        "li",
        { class: `checkin-result ${ok ? "ok" : "refused"}`, testid: "checkin-result", dataset: { result: kind } },
        h("span", { class: "checkin-mark", attrs: { "aria-hidden": "true" } }, mark),
        h(
          "span",
          { testid: "checkin-result-text" },
          who ? `${text}: ` : text,
          who ? userText(who.display_name, "checkin-name") : "",
          who?.handle ? ` (@${who.handle})` : "",
        ),
      ),
    );
  }

  /** Show a refusal; answers its kind and sentence. */
  function refused(err: unknown): [string, string] {
    const reason = errorReason(err) ?? "error";
    const text = CHECKIN_REASONS[reason] ?? REASONS[reason] ?? activityError(err);
    show(reason, null, text);
    return [reason, text];
  }

  async function undoFor(who: Who): Promise<void> {
    try {
      await api.undoCheckin(id, who.user_id);
      show("undone", who, "Check-in undone");
    } catch (err) {
      refused(err);
    }
    void door.reload();
  }

  /**
   * Check in the holder of `code`, read by the camera, from a photo, or typed. The camera reads
   * a ticket held up many times over: within a few seconds it shows the first answer again.
   */
  async function submitCode(code: string, camera = false): Promise<void> {
    const seen = recent.get(code);
    if (camera && seen && Date.now() - seen.at < SAME_CODE_MS) {
      show(seen.kind, seen.who, seen.text, false);
      return;
    }
    if (busy) return;
    busy = true;
    try {
      const { signup } = await api.checkin(id, code);
      if (!door.person(signup.user_id)) await door.reload();
      const who = door.person(signup.user_id) ?? fallbackPerson(signup.user_id);
      show("ok", who, "Checked in");
      recent.set(code, { at: Date.now(), kind: "ok", who, text: "Checked in" });
      void door.reload();
    } catch (err) {
      const [kind, text] = refused(err);
      recent.set(code, { at: Date.now(), kind, who: null, text });
    } finally {
      busy = false;
    }
  }

  // ---- the camera and the photo: one decoder ------------------------------------------------
  const video = h("video", { class: "checkin-video", testid: "checkin-video", attrs: { muted: true, playsinline: true } });
  video.hidden = true;
  const canvas = h("canvas", { class: "checkin-canvas" });
  canvas.hidden = true;
  const cameraStatus = h("p", { class: "muted", testid: "checkin-camera-status" }, "Point the camera at the attendee's ticket.");
  let camera: Camera | null = null;
  let holdUntil = 0;
  const cameraButton = h(
    "button",
    { class: "primary big", testid: "checkin-camera", attrs: { type: "button" }, on: { click: () => void toggleCamera() } },
    "Scan tickets",
  );

  async function onCode(code: string): Promise<void> {
    holdUntil = Date.now() + HOLD_VERDICT_MS;
    await submitCode(code, true);
    holdUntil = Date.now() + HOLD_VERDICT_MS;
  }

  async function toggleCamera(): Promise<void> {
    if (camera) {
      stopCamera();
      return;
    }
    cameraButton.disabled = true;
    try {
      scanner.dataset.decoder = await decoderName();
      camera = await startCamera(video, canvas, (code) => void onCode(code), () => busy || Date.now() < holdUntil);
      video.hidden = false;
      scanner.dataset.camera = "on";
      cameraButton.textContent = "Stop camera";
      cameraStatus.textContent = "Scanning… hold the ticket's QR code in view.";
    } catch (err) {
      scanner.dataset.camera = "unavailable";
      cameraStatus.textContent = `No camera: ${err instanceof Error ? err.message : String(err)}. Use a photo, the name list or the code below.`;
    } finally {
      cameraButton.disabled = false;
    }
  }

  function stopCamera(): void {
    camera?.stop();
    camera = null;
    video.hidden = true;
    scanner.dataset.camera = "off";
    cameraButton.textContent = "Scan tickets";
    cameraStatus.textContent = "Camera off.";
  }

  const photo = h("input", {
    testid: "checkin-photo",
    attrs: { type: "file", accept: "image/*", capture: "environment", "aria-label": "Photo of the ticket's QR code" },
    on: {
      change: async () => {
        const file = photo.files?.[0];
        photo.value = "";
        if (!file) return;
        scanner.dataset.decoder = await decoderName();
        let code: string | null;
        try {
          code = await decodeFile(file, canvas);
        } catch {
          code = null;
        }
        if (code) await submitCode(code);
        else show("no_code", null, "No QR code found in that photo. Try again closer, or check in by name.");
      },
    },
  });
  const scanner = h(
    "section",
    { class: "form-card checkin-scanner", testid: "checkin-scanner", dataset: { camera: "off" } },
    cameraButton,
    cameraStatus,
    video,
    canvas,
    h("label", { class: "field" }, "Or a photo of the QR code", photo),
  );

  function fallbackPerson(userId: string): Who {
    return { user_id: userId, display_name: store.displayName(userId) };
  }

  // ---- a typed code ---------------------------------------------------------------------------
  const input = h("input", {
    class: "checkin-input",
    testid: "checkin-code",
    attrs: { required: true, maxlength: 512, autocomplete: "off", spellcheck: "false", placeholder: "Ticket code", "aria-label": "Ticket code" },
  });
  const submit = h("button", { testid: "checkin-submit", attrs: { type: "submit" } }, "Check in");
  const form = h(
    "form",
    {
      class: "form-card checkin-form",
      testid: "checkin-form",
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          const code = input.value.trim();
          if (!code || busy) return;
          submit.disabled = true;
          await submitCode(code);
          if (verdict.dataset.result === "ok") input.value = "";
          submit.disabled = false;
        },
      },
    },
    h("label", { class: "field" }, "Ticket code", input),
    h("div", { class: "form-buttons" }, submit),
  );

  const el = h(
    "section",
    { class: "pane activity-pane checkin-pane", testid: "checkin-view", dataset: { activityId: id } },
    h("div", { class: "crumbs" }, h("a", { testid: "checkin-back", attrs: { href: activityHash(id) } }, "← Activity")),
    h("header", { class: "pane-header" }, heading),
    verdict,
    scanner,
    door.el,
    form,
    results,
  );

  function draw(): void {
    activities.ensure(id);
    const a = activities.get(id).activity;
    if (a) {
      replaceChildren(heading, "Check-in: ", userText(a.title, "checkin-title"));
      door.follow(a.version);
    }
  }

  const unsub = store.subscribe(`activity:${id}`, draw);
  draw();
  void door.reload();
  return {
    el,
    dispose: () => {
      unsub();
      stopCamera();
    },
  };
}
