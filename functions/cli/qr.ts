/** QR images of codes: written as SVG or PNG (by file extension), read back from PNG. */
import { extname } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import QRCode, { type QRCodeSegment } from 'qrcode';
import { codeFromQrText, qrSegments } from '../core/code/format';
import { InputFileError, UsageError } from './errors';
import { readBytes, writeAtomically } from './files';

/** The image format of `path` by its extension. */
function formatOf(path: string): 'svg' | 'png' {
  const ext = extname(path).toLowerCase();
  if (ext === '.svg') return 'svg';
  if (ext === '.png') return 'png';
  throw new UsageError(`--qr must end in .svg or .png, not ${JSON.stringify(ext || path)}`);
}

/** Write `code` as a QR symbol to `path` (`.svg` or `.png`), an HCX2 code in its numeric QR form. */
export async function writeQr(path: string, code: string): Promise<void> {
  const options = { errorCorrectionLevel: 'M' as const, margin: 4 };
  const segments = qrSegments(code) as QRCodeSegment[];
  const data =
    formatOf(path) === 'svg'
      ? await QRCode.toString(segments, { ...options, type: 'svg' })
      : await QRCode.toBuffer(segments, { ...options, type: 'png', scale: 4 });
  writeAtomically(path, data);
}

/** Decode the QR symbol in the PNG image `path`: the code it holds (an HCX2 QR form back in text form). */
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
  return codeFromQrText(found.data);
}
