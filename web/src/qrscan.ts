// Reading a ticket's QR code in the browser: from the device camera (a video frame every 150 ms)
// or from an uploaded photo, both through one decoding path. The decoder is the browser's own
// `BarcodeDetector` where it exists and reads QR codes (Android, ChromeOS, macOS), else jsQR (a
// pure-JS decoder bundled with the app: no network, no WebAssembly, fine under the CSP).

import jsQR from "jsqr";

export type DecoderName = "native" | "jsqr";

interface DetectedBarcode {
  rawValue: string;
}

interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<DetectedBarcode[]>;
}

interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

/** Frames are scaled down to this width before decoding: enough for a ticket held up close. */
const MAX_SIDE = 800;

let native: Promise<BarcodeDetectorLike | null> | null = null;

function nativeDetector(): Promise<BarcodeDetectorLike | null> {
  native ??= (async () => {
    const Detector = (window as unknown as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
    if (!Detector) return null;
    try {
      const formats = await Detector.getSupportedFormats();
      return formats.includes("qr_code") ? new Detector({ formats: ["qr_code"] }) : null;
    } catch {
      return null;
    }
  })();
  return native;
}

/** Which decoder `decode` uses on this browser. */
export async function decoderName(): Promise<DecoderName> {
  return (await nativeDetector()) ? "native" : "jsqr";
}

/**
 * The text of the QR code in `source` (a video frame or an image), or null when none is found.
 * Everything the camera sees and every uploaded photo goes through here.
 */
export async function decode(source: HTMLVideoElement | HTMLImageElement | ImageBitmap, canvas: HTMLCanvasElement): Promise<string | null> {
  const [w, h] = sizeOf(source);
  if (!w || !h) return null;
  const scale = Math.min(1, MAX_SIDE / Math.max(w, h));
  canvas.width = Math.round(w * scale);
  canvas.height = Math.round(h * scale);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  if (!ctx) return null;
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  const detector = await nativeDetector();
  if (detector) {
    try {
      const found = await detector.detect(canvas);
      return found[0]?.rawValue || null;
    } catch {
      // fall through to jsQR
    }
  }
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
  return jsQR(pixels.data, pixels.width, pixels.height, { inversionAttempts: "attemptBoth" })?.data || null;
}

function sizeOf(source: HTMLVideoElement | HTMLImageElement | ImageBitmap): [number, number] {
  if (source instanceof HTMLVideoElement) return [source.videoWidth, source.videoHeight];
  if (source instanceof HTMLImageElement) return [source.naturalWidth, source.naturalHeight];
  return [source.width, source.height];
}

/** Decode an uploaded photo (same path as camera frames). */
export async function decodeFile(file: Blob, canvas: HTMLCanvasElement): Promise<string | null> {
  const bitmap = await createImageBitmap(file);
  try {
    return await decode(bitmap, canvas);
  } finally {
    bitmap.close();
  }
}

export interface Camera {
  stop(): void;
}

/**
 * Start the (back) camera into `video` and call `onCode` with each code read, every 150 ms while
 * `paused()` is false. Rejects when there is no camera or permission is refused.
 */
export async function startCamera(
  video: HTMLVideoElement,
  canvas: HTMLCanvasElement,
  onCode: (code: string) => void,
  paused: () => boolean,
): Promise<Camera> {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 } },
    audio: false,
  });
  video.srcObject = stream;
  video.muted = true;
  video.setAttribute("playsinline", "");
  await video.play();
  let stopped = false;
  let busy = false;
  async function tick(): Promise<void> {
    if (stopped || busy || paused() || video.readyState < 2) return;
    busy = true;
    try {
      const code = await decode(video, canvas);
      if (code && !stopped) onCode(code);
    } finally {
      busy = false;
    }
  }
  // A frame that fails to decode is reported, not left as an unhandled rejection; the next tick
  // tries again.
  const timer = window.setInterval(() => void tick().catch(reportError), 150);
  return {
    stop(): void {
      stopped = true;
      window.clearInterval(timer);
      stream.getTracks().forEach((t) => t.stop());
      video.srcObject = null;
    },
  };
}
