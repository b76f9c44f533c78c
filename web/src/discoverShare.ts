// Share URLs in the client (docs/protocol.md, "Share pages and posters"): the poster variants of
// a share link (phone or A4, PNG or SVG) and a circle's own share links. Pure (discoverShare.test.ts).

export type PosterSize = "phone" | "a4";
export type PosterFormat = "png" | "svg";

const POSTER_PATH = /\/poster\.(png|svg)$/;

/**
 * One poster of a share link's poster URL (`…/s/a/<id>/poster.png?ref=x`), as a path on this
 * origin: the posters are served by the same server as the app, and a same-origin link is what
 * lets `<a download>` save it instead of opening it (whatever PUBLIC_URL the server writes).
 */
export function posterVariant(posterUrl: string, size: PosterSize, format: PosterFormat): string | null {
  let url: URL;
  try {
    url = new URL(posterUrl, "http://localhost");
  } catch {
    return null;
  }
  if (!POSTER_PATH.test(url.pathname) || !url.pathname.startsWith("/s/")) return null;
  url.pathname = url.pathname.replace(POSTER_PATH, `/poster.${format}`);
  url.searchParams.set("size", size);
  return `${url.pathname}${url.search}`;
}

/** The share links of a circle: its public page and its poster, crediting the sharer. */
export function circleShareLinks(origin: string, circleId: string, handle: string | null): { page: string; poster: string } {
  const base = `${origin.replace(/\/+$/, "")}/s/c/${encodeURIComponent(circleId)}`;
  const ref = handle && /^[A-Za-z0-9_-]{1,64}$/.test(handle) ? `?ref=${encodeURIComponent(handle)}` : "";
  return { page: `${base}${ref}`, poster: `${base}/poster.png${ref}` };
}

/** A file name for a downloaded poster: the title's letters and digits, the size and format. */
export function posterFileName(title: string, size: PosterSize, format: PosterFormat): string {
  const stem =
    title
      .normalize("NFKC")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60) || "poster";
  return `${stem}-${size}.${format}`;
}
