/**
 * A Y4M video (what Chromium's fake camera plays, looping) of a QR image: the PNG's luminance,
 * centred on a white 640×480 frame, grey chroma (4:2:0).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';

export function writeQrVideo(pngFile: string, y4mFile: string, frames = 5): void {
  const png = PNG.sync.read(readFileSync(pngFile));
  const W = 640;
  const H = 480;
  const scale = Math.max(1, Math.floor(Math.min((W * 0.8) / png.width, (H * 0.8) / png.height)));
  const ox = Math.floor((W - png.width * scale) / 2);
  const oy = Math.floor((H - png.height * scale) / 2);
  const y = Buffer.alloc(W * H, 235);
  for (let py = 0; py < png.height * scale; py++) {
    for (let px = 0; px < png.width * scale; px++) {
      const i = (Math.floor(py / scale) * png.width + Math.floor(px / scale)) * 4;
      const luma = 0.299 * png.data[i] + 0.587 * png.data[i + 1] + 0.114 * png.data[i + 2];
      y[(oy + py) * W + ox + px] = Math.round(16 + (luma * 219) / 255);
    }
  }
  const chroma = Buffer.alloc((W / 2) * (H / 2), 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`);
  writeFileSync(y4mFile, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
}
