/**
 * The checkpoint page: scan (camera) or paste a code, verify it in the page with the shared core
 * against the trust list held on the device, show the answer so it reads in one glance.
 *
 * Nothing about the holder leaves the page: the code, the ID number and the result live in memory
 * and on screen only, and the next scan or a reload forgets them. Local storage holds only the
 * signed trust list and the language chosen.
 */
import jsQR from 'jsqr';
import { verifyCode } from '../../functions/core/code/verify';
import { TrustListRejected, type ReasonCode } from '../../functions/core/errors';
import { CODE_PREFIX, LEGACY_CODE_PREFIX } from '../../functions/core/profiles';
import { buildSnapshot, type RegistrySnapshot } from '../../functions/core/registry';
import type { VerificationResult } from '../../functions/core/schemas/types.gen';
import { CONFIG } from '../shared/config';
import {
  CODE_LABELS,
  dateTime,
  duration,
  initialLang,
  provinceName,
  REASONS,
  saveLang,
  STATUS,
  type Lang,
} from '../shared/i18n';
import { listSegments, loadHeld, refresh } from './trust';

const UI: Record<string, Record<Lang, string>> = {
  title: { zh: '健康码核验', en: 'Health code check' },
  scan: { zh: '扫码', en: 'Scan' },
  stop: { zh: '停止', en: 'Stop' },
  pasteLabel: { zh: '或粘贴健康码', en: 'Or paste a code' },
  verify: { zh: '核验', en: 'Verify' },
  holderTitle: { zh: '核对证件（可选）', en: 'Check the ID document (optional)' },
  holderHint: {
    zh: '在本机计算，证件号码不会发送或保存；约需 1 秒。',
    en: 'Computed on this device; the number is never sent or kept. Takes about a second.',
  },
  idType: { zh: '证件类型', en: 'Document type' },
  id10: { zh: '居民身份证', en: 'Resident ID card' },
  id14: { zh: '港澳居民来往内地通行证', en: 'Mainland travel permit (HK/Macao)' },
  id15: { zh: '台湾居民来往大陆通行证', en: 'Mainland travel permit (Taiwan)' },
  id20: { zh: '护照', en: 'Passport' },
  id34: { zh: '外国人永久居留身份证', en: "Foreigner's permanent residence card" },
  id99: { zh: '其他', en: 'Other' },
  idNumber: { zh: '证件号码', en: 'Document number' },
  checkHolder: { zh: '核对', en: 'Check' },
  privacy: {
    zh: '本页离线核验，不发送任何持码人信息，不保留核验记录。',
    en: 'Verified offline in this page: nothing about the holder is sent anywhere and no history is kept.',
  },
  ...CODE_LABELS,
  holder: { zh: '证件核对', en: 'ID document' },
  holderOk: { zh: '相符', en: 'Matches' },
  holderTime: { zh: '用时', en: 'took' },
  valid: { zh: '通过', en: 'Valid' },
  invalid: { zh: '无效', en: 'Not valid' },
  indeterminate: { zh: '无法确定', en: 'Cannot determine' },
  trustLoading: { zh: '正在载入信任列表…', en: 'Loading the trust list…' },
  trustNone: {
    zh: '本机没有信任列表，无法核验。请联网打开本页一次。',
    en: 'No trust list on this device: cannot verify. Open this page online once.',
  },
  trustOk: { zh: '信任列表 v{v}，{age}前更新', en: 'Trust list v{v}, updated {age} ago' },
  trustStale: {
    zh: '信任列表 v{v} 已过期（{age}前更新）：结果为“无法确定”，请联网更新。',
    en: 'Trust list v{v} is past its expiry (updated {age} ago): results are indeterminate until it is updated.',
  },
  offline: { zh: '（未能更新）', en: ' (could not update)' },
  cameraError: {
    zh: '无法打开摄像头，请粘贴健康码。',
    en: 'The camera cannot be opened: paste the code instead.',
  },
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let lang: Lang = initialLang();
let snapshot: RegistrySnapshot | undefined;
let offline = false;
/** Why the last list could not be used (a stable code, e.g. SEGMENT_MISSING), shown as `#trust[data-error]`. */
let trustError: string | undefined;
let last: { code: string; result: VerificationResult; holderMs?: number } | undefined;

const t = (key: string, vars: Record<string, string | number> = {}) =>
  UI[key][lang].replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k]));
const nowSeconds = () => Math.floor(Date.now() / 1000);

function applyLang(): void {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = `${t('title')} · hcx`;
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]'))
    el.textContent = t(el.dataset.i18n!);
  const toggle = $('lang');
  toggle.textContent = lang === 'zh' ? 'English' : '中文';
  toggle.lang = lang === 'zh' ? 'en' : 'zh-CN';
  renderTrust();
  if (last) renderResult(last.result, last.holderMs);
}

function renderTrust(): void {
  const el = $('trust');
  if (trustError) el.dataset.error = trustError;
  else delete el.dataset.error;
  if (!snapshot) {
    el.dataset.state = offline ? 'none' : 'loading';
    el.textContent = t(offline ? 'trustNone' : 'trustLoading');
    return;
  }
  const now = nowSeconds();
  const stale = now > snapshot.expiresAt;
  el.dataset.state = stale ? 'stale' : 'ok';
  el.dataset.version = String(snapshot.version);
  el.dataset.ageSeconds = String(Math.max(0, now - snapshot.issuedAt));
  el.textContent =
    t(stale ? 'trustStale' : 'trustOk', {
      v: snapshot.version,
      age: duration(now - snapshot.issuedAt, lang),
    }) + (offline ? t('offline') : '');
}

const ICON = { valid: '✔', invalid: '✖', indeterminate: '?' } as const;

function renderResult(result: VerificationResult, holderMs?: number): void {
  const section = $('result');
  const field = $('field');
  const colour = result.result === 'valid' && result.status ? result.status : result.result;
  field.dataset.colour = colour;
  section.dataset.result = result.result;
  section.dataset.reasons = result.reasons.map((r) => r.code).join(' ');
  $('icon').textContent = ICON[result.result];
  $('verdict').textContent =
    result.result === 'valid' && result.status
      ? `${STATUS[result.status][lang]} · ${t('valid')}`
      : t(result.result);

  const details = $('details');
  details.replaceChildren();
  const row = (label: string, value: string) => {
    const dt = document.createElement('dt');
    dt.textContent = t(label);
    const dd = document.createElement('dd');
    dd.textContent = value;
    details.append(dt, dd);
  };
  if (result.issuer) {
    const names = provinceName(result.issuer.region);
    row('province', names ? names[lang] : result.issuer.name);
  }
  if (result.holder) row('name', result.holder.maskedName);
  if (result.expiresAt) row('validity', dateTime(result.expiresAt, lang));
  if (result.holder?.bound === true)
    row('holder', `${t('holderOk')} (${t('holderTime')} ${Math.round(holderMs ?? 0)} ms)`);

  const reasons = $('reasons');
  reasons.replaceChildren(
    ...result.reasons.map((r) => {
      const li = document.createElement('li');
      li.dataset.code = r.code;
      li.textContent = REASONS[r.code as ReasonCode]?.[lang] ?? r.message;
      return li;
    }),
  );
  section.hidden = false;
}

/** Verify `code` (and the ID document, when given); shows and returns the result. */
async function check(
  code: string,
  holder?: { idType: string; idNumber: string },
): Promise<VerificationResult> {
  const started = performance.now();
  // Without any list, every key is unknown and the answer is `indeterminate` (stale) by the rules.
  const registry = snapshot ?? (await emptySnapshot());
  const result = await verifyCode(code.trim(), registry, { now: nowSeconds(), holder });
  const ms = performance.now() - started;
  $('result').dataset.verifyMs = ms.toFixed(2);
  last = { code: code.trim(), result, holderMs: holder ? ms : undefined };
  renderResult(result, last.holderMs);
  return result;
}

let empty: Promise<RegistrySnapshot> | undefined;
function emptySnapshot(): Promise<RegistrySnapshot> {
  empty ??= buildSnapshot({
    federation: CONFIG.federation,
    version: 0,
    issuedAt: 0,
    expiresAt: 0,
    logHead: '',
    provinces: [],
    codeRevocations: [],
  } as never);
  return empty;
}

// --- camera ---------------------------------------------------------------------------------

let stream: MediaStream | undefined;

interface Detector {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}

function nativeDetector(): Detector | undefined {
  const BD = (window as unknown as { BarcodeDetector?: new (o: object) => Detector }).BarcodeDetector;
  try {
    return BD ? new BD({ formats: ['qr_code'] }) : undefined;
  } catch {
    return undefined;
  }
}

async function startCamera(): Promise<void> {
  const video = $<HTMLVideoElement>('video');
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: 'environment' },
      audio: false,
    });
  } catch {
    alert(t('cameraError'));
    return;
  }
  video.srcObject = stream;
  video.hidden = false;
  $('stop').hidden = false;
  await video.play();
  const detector = nativeDetector();
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const tick = async () => {
    if (!stream) return;
    let text: string | undefined;
    if (video.videoWidth > 0) {
      if (detector) {
        text = (await detector.detect(video).catch(() => []))[0]?.rawValue;
      } else {
        // jsQR on a frame scaled to at most 800 px: enough for a phone-held QR, cheap per frame
        const scale = Math.min(1, 800 / Math.max(video.videoWidth, video.videoHeight));
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
        const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
        text = jsQR(image.data, image.width, image.height, { inversionAttempts: 'attemptBoth' })?.data;
      }
    }
    // an HCX2 code in QR form (`HCX2:` + digits, what `hcx issue --qr` draws) or an HCX1 code
    if (text?.startsWith(CODE_PREFIX) || text?.startsWith(LEGACY_CODE_PREFIX)) {
      stopCamera();
      await check(text);
      return;
    }
    setTimeout(() => void tick(), 120);
  };
  void tick();
}

function stopCamera(): void {
  stream?.getTracks().forEach((track) => track.stop());
  stream = undefined;
  const video = $<HTMLVideoElement>('video');
  video.srcObject = null;
  video.hidden = true;
  $('stop').hidden = true;
}

// --- start ----------------------------------------------------------------------------------

/** The stable code of a list refused (`TrustListRejected.reason`), else undefined (e.g. no network). */
const refusalOf = (e: unknown): string | undefined => (e instanceof TrustListRejected ? e.reason : undefined);

async function loadTrust(): Promise<void> {
  const held = await loadHeld();
  if (held) {
    snapshot = await buildSnapshot(held.list, await listSegments(held.list)).catch((e: unknown) => {
      trustError = refusalOf(e);
      return undefined;
    });
  }
  renderTrust();
  try {
    const fresh = await refresh(held);
    if (fresh.list !== held?.list || !snapshot) {
      snapshot = await buildSnapshot(fresh.list, await listSegments(fresh.list));
    }
    offline = false;
    trustError = undefined;
  } catch (e) {
    offline = true;
    trustError = refusalOf(e) ?? trustError;
  }
  renderTrust();
  document.body.dataset.ready = 'true';
}

$('lang').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  saveLang(lang);
  applyLang();
});
$('camera').addEventListener('click', () => void startCamera());
$('stop').addEventListener('click', stopCamera);
$('verify').addEventListener('click', () => {
  const box = $<HTMLTextAreaElement>('code');
  void check(box.value);
  box.value = '';
});
$('checkHolder').addEventListener('click', () => {
  if (!last) return;
  const number = $<HTMLInputElement>('idNumber');
  void check(last.code, { idType: $<HTMLSelectElement>('idType').value, idNumber: number.value }).finally(
    () => {
      number.value = '';
    },
  );
});
// The trust list age moves on while the page stays open.
setInterval(renderTrust, 30_000);
applyLang();
void loadTrust();
if ('serviceWorker' in navigator) void navigator.serviceWorker.register('sw.js').catch(() => undefined);

/** For the browser tests and the benchmark: verify a code without touching the screen's history. */
(window as unknown as { hcxCheck: typeof check }).hcxCheck = check;
