/**
 * The traveller page: shows the code from the link's fragment (`/wallet/#HCX2:…`; a fragment never
 * reaches a server) full screen as a QR with its colour, province and expiry, keeps it on this device
 * for offline use, and warns before it expires.
 *
 * The page reads the code's claims to display them; it does not verify the code (the checkpoint
 * does). It refuses anything that is not a well-formed hcx code (the shared strict JWS parser): an
 * HCX2 code in text form or in QR form (`HCX2:` + digits, what a QR reader returns), or an HCX1
 * code (the first format, still valid until it expires). It keeps the text form and draws the QR
 * as `hcx issue --qr` does (`qrSegments`: an HCX2 code in numeric mode, QR version 13).
 */
import QRCode, { type QRCodeSegment } from 'qrcode';
import { parseCompactJws } from '../../functions/core/jws/compact';
import { codeFromQrText, qrSegments } from '../../functions/core/code/format';
import {
  CODE_PREFIX,
  CODE_PROFILE,
  LEGACY_CODE_PREFIX,
  LEGACY_CODE_PROFILE,
} from '../../functions/core/profiles';
import type { CodeClaims, LegacyCodeClaims } from '../../functions/core/schemas/types.gen';
import { isCodeClaims, isLegacyCodeClaims } from '../../functions/core/schemas/validators';
import {
  CODE_LABELS,
  dateTime,
  duration,
  initialLang,
  provinceName,
  saveLang,
  STATUS,
  type Lang,
} from '../shared/i18n';

const STORE_KEY = 'hcx.wallet.code';
/** Warn this long before the code expires. */
const WARN_SECONDS = 6 * 3600;

const UI: Record<string, Record<Lang, string>> = {
  title: { zh: '我的健康码', en: 'My health code' },
  ...CODE_LABELS,
  expiresSoon: {
    zh: '健康码将在 {left}后过期，请及时重新申领。',
    en: 'This code expires in {left}: get a new one from your province in time.',
  },
  expired: {
    zh: '健康码已过期，请重新申领。',
    en: 'This code has expired: get a new one from your province.',
  },
  invalidLink: {
    zh: '链接中的健康码格式不正确，已忽略。',
    en: 'The link does not carry a well-formed hcx code; it was ignored.',
  },
  empty: {
    zh: '本机没有保存健康码。请打开签发省份发来的链接。',
    en: 'No code is kept on this device. Open the link your province sent you.',
  },
  forget: { zh: '从本机删除', en: 'Remove from this device' },
  privacy: {
    zh: '健康码只保存在本机，不会发送到任何服务器。',
    en: 'The code is kept on this device only and is never sent to a server.',
  },
};
const ICON = { green: '✔', yellow: '!', red: '✖' } as const;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let lang: Lang = initialLang();
let held: { code: string; claims: CodeClaims | LegacyCodeClaims } | undefined;
let linkRefused = false;
const t = (key: string, vars: Record<string, string> = {}) =>
  UI[key][lang].replace(/\{(\w+)\}/g, (_, k: string) => vars[k]);

/**
 * A well-formed code in text form with its claims, or undefined. Takes the text form or the QR form
 * of an HCX2 code, or an HCX1 code.
 */
function readCode(text: string): { code: string; claims: CodeClaims | LegacyCodeClaims } | undefined {
  const code = codeFromQrText(text);
  try {
    if (code.startsWith(CODE_PREFIX)) {
      const payload = parseCompactJws(code.slice(CODE_PREFIX.length), CODE_PROFILE).payload;
      return isCodeClaims(payload) ? { code, claims: payload } : undefined;
    }
    if (code.startsWith(LEGACY_CODE_PREFIX)) {
      const payload = parseCompactJws(code.slice(LEGACY_CODE_PREFIX.length), LEGACY_CODE_PROFILE).payload;
      return isLegacyCodeClaims(payload) ? { code, claims: payload } : undefined;
    }
  } catch {
    // not a well-formed code
  }
  return undefined;
}

function store(code: string | undefined): void {
  try {
    if (code) localStorage.setItem(STORE_KEY, code);
    else localStorage.removeItem(STORE_KEY);
  } catch {
    // private mode: shown for this visit only
  }
}

function load(): void {
  const fragment = decodeURIComponent(location.hash.slice(1));
  linkRefused = false; // a later good link clears an earlier refusal
  if (fragment) {
    // Off the address bar and out of the history entry, now that it is read.
    history.replaceState(null, '', location.pathname + location.search);
    const read = readCode(fragment);
    if (read) {
      held = read;
      store(read.code);
      return;
    }
    linkRefused = true;
  }
  let kept: string | null;
  try {
    kept = localStorage.getItem(STORE_KEY);
  } catch {
    kept = null;
  }
  const read = kept ? readCode(kept) : undefined;
  if (read) held = read;
}

async function render(): Promise<void> {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = `${t('title')} · hcx`;
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]'))
    el.textContent = t(el.dataset.i18n!);
  $('lang').textContent = lang === 'zh' ? 'English' : '中文';
  $('lang').lang = lang === 'zh' ? 'en' : 'zh-CN';
  const warning = $('warning');
  warning.hidden = true;
  $('empty').hidden = !!held;
  $('forget').hidden = !held;
  $('card').hidden = !held;
  if (linkRefused) {
    warning.textContent = t('invalidLink');
    warning.hidden = false;
  }
  if (!held) return;
  const { claims, code } = held;
  const card = $('card');
  card.dataset.colour = claims.st;
  $('icon').textContent = ICON[claims.st];
  $('status').textContent = STATUS[claims.st][lang];
  const canvas = $<HTMLCanvasElement>('qr');
  canvas.setAttribute('aria-label', `${STATUS[claims.st][lang]} QR`);
  if (canvas.dataset.code !== code) {
    await QRCode.toCanvas(canvas, qrSegments(code) as QRCodeSegment[], {
      errorCorrectionLevel: 'M',
      margin: 4,
      scale: 8,
    });
    // the stylesheet sizes it to the screen (qrcode fixes its CSS size in pixels)
    canvas.style.removeProperty('width');
    canvas.style.removeProperty('height');
    canvas.dataset.code = code;
  }
  const details = $('details');
  details.replaceChildren();
  const names = provinceName(claims.iss);
  for (const [label, value] of [
    ['province', names ? names[lang] : claims.iss],
    ['name', claims.hn],
    ['validity', dateTime(new Date(claims.exp * 1000).toISOString(), lang)],
  ]) {
    const dt = document.createElement('dt');
    dt.textContent = t(label);
    const dd = document.createElement('dd');
    dd.textContent = value;
    details.append(dt, dd);
  }
  const left = claims.exp - Math.floor(Date.now() / 1000);
  card.dataset.expired = String(left <= 0);
  if (left <= 0 || left < WARN_SECONDS) {
    warning.textContent = left <= 0 ? t('expired') : t('expiresSoon', { left: duration(left, lang) });
    warning.dataset.kind = left <= 0 ? 'expired' : 'soon';
    warning.hidden = false;
  }
}

$('lang').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  saveLang(lang);
  void render();
});
$('forget').addEventListener('click', () => {
  store(undefined);
  held = undefined;
  void render();
});
window.addEventListener('hashchange', () => {
  load();
  void render();
});
load();
void render().then(() => {
  document.body.dataset.ready = 'true';
});
setInterval(() => void render(), 60_000);
if ('serviceWorker' in navigator) void navigator.serviceWorker.register('sw.js').catch(() => undefined);
