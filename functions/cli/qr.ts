/** QR images of codes: written as SVG or PNG (by file extension), read back from PNG. */
import { extname } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { InputFileError, UsageError } from './errors';
import { readBytes, writeAtomically } from './files';

/** The image format of `path` by its extension. */
function formatOf(path: string): 'svg' | 'png' {
  const ext = extname(path).toLowerCase();
  if (ext === '.svg') return 'svg';
  if (ext === '.png') return 'png';
  throw new UsageError(`--qr must end in .svg or .png, not ${JSON.stringify(ext || path)}`);
}

/** Write `text` as a QR symbol to `path` (`.svg` or `.png`). */
export async function writeQr(path: string, text: string): Promise<void> {
  const options = { errorCorrectionLevel: 'M' as const, margin: 4 };
  const data =
    formatOf(path) === 'svg'
      ? await QRCode.toString(text, { ...options, type: 'svg' })
      : await QRCode.toBuffer(text, { ...options, type: 'png', scale: 4 });
  writeAtomically(path, data);
}

/** Decode the QR symbol in the PNG image `path`. */
export function readQr(path: string): string {
  if (extname(path).toLowerCase() !== '.png') {
    throw new UsageError('--qr reads PNG images only (hcx issue --qr code.png writes one)');
  }
  const bytes = readBytes(path, 'the QR image');
  let png: PNG;
  try {
    png = PNG.sync.read(bytes);
  } catch {
    throw new InputFileError(`${path} is not a PNG image`);
  }
  const found = jsQR(
    new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length),
    png.width,
    png.height,
  );
  if (!found || found.data === '') throw new InputFileError(`no QR code found in ${path}`);
  return found.data;
}
