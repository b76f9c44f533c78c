// The reports' calls (docs/protocol.md, "Organiser reports"). The server decides who may read
// them: a refusal arrives as an ApiError (forbidden, not_found) and the view shows its message.

import { ApiError, request } from "../api";
import { getToken } from "../session";
import type { WireError } from "../types";
import type { ActivityReport, Revenue } from "./wire";

const enc = encodeURIComponent;

export const reportsApi = {
  activityReport: (activityId: string) => request<ActivityReport>("GET", `/activities/${enc(activityId)}/report`),
  revenue: (circleId: string) => request<Revenue>("GET", `/circles/${enc(circleId)}/revenue`),
  ledgerPath: (circleId: string) => `/api/circles/${enc(circleId)}/revenue/ledger.csv`,
};

/** The file name a Content-Disposition header gives, else `fallback`. */
export function dispositionName(header: string | null, fallback: string): string {
  const match = header ? /filename="?([^";]+)"?/i.exec(header) : null;
  return match ? match[1] : fallback;
}

/**
 * An authenticated download: an <a download> cannot send the bearer token, so the bytes are
 * fetched with it (as attachments are, upload.ts) and saved from a blob: URL.
 */
export async function downloadWithToken(path: string, fallbackName: string): Promise<void> {
  const headers: Record<string, string> = { Accept: "text/csv" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let resp: Response;
  try {
    resp = await fetch(path, { headers });
  } catch {
    throw new ApiError(0, { code: "unavailable", message: "Cannot reach the server" });
  }
  if (!resp.ok) {
    const body = (await resp.json().catch(() => null)) as { error?: WireError } | null;
    throw new ApiError(resp.status, body?.error ?? { code: "unavailable", message: `HTTP ${resp.status}` });
  }
  saveBlob(await resp.blob(), dispositionName(resp.headers.get("Content-Disposition"), fallbackName));
}

/** Text the client built (a table's CSV) saved as a file. */
export function saveText(text: string, name: string, type = "text/csv;charset=utf-8"): void {
  saveBlob(new Blob([text], { type }), name);
}

function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked after the browser has started the download (it reads the blob asynchronously).
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
