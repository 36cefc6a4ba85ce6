/**
 * Reading QR images back in tests: the SVG the issuer returns (the `qrcode` package draws dark
 * modules as horizontal strokes `M x y.5 h n m dx dy …`) is rasterised here and decoded with jsqr;
 * PNG files (the CLI's `--qr out.png`) are decoded with pngjs + jsqr.
 */
import { readFileSync } from 'node:fs';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';

function decodePixels(rgba: Uint8ClampedArray, width: number, height: number): string | null {
  return jsQR(rgba, width, height)?.data ?? null;
}

/** Decode the QR code in an SVG produced by `qrcode` (null when there is none). */
export function decodeQrSvg(svg: string, scale = 4): string | null {
  const size = Number(/viewBox="0 0 (\d+) \d+"/.exec(svg)?.[1]);
  const path = /<path stroke="#000000" d="([^"]+)"/.exec(svg)?.[1];
  if (!size || !path) return null;
  const dark = new Uint8Array(size * size);
  let x = 0;
  let y = 0;
  for (const [, op, a, b] of path.matchAll(/([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
    if (op === 'M') [x, y] = [Number(a), Number(b)];
    else if (op === 'm') [x, y] = [x + Number(a), y + Number(b)];
    else {
      for (let i = 0; i < Number(a); i++) dark[Math.floor(y) * size + x + i] = 1;
      x += Number(a);
    }
  }
  const w = size * scale;
  const rgba = new Uint8ClampedArray(w * w * 4).fill(255);
  for (let py = 0; py < w; py++)
    for (let px = 0; px < w; px++)
      if (dark[Math.floor(py / scale) * size + Math.floor(px / scale)])
        rgba.fill(0, (py * w + px) * 4, (py * w + px) * 4 + 3);
  return decodePixels(rgba, w, w);
}

/** Decode the QR code in a PNG file (null when there is none). */
export function decodeQrPng(file: string): string | null {
  const png = PNG.sync.read(readFileSync(file));
  return decodePixels(new Uint8ClampedArray(png.data), png.width, png.height);
}
