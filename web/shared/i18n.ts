/**
 * The pages' words, Chinese (default) and English. Reasons are the CONTRACT's stable codes, so a
 * result reads the same as the server's in either language.
 */
import type { ReasonCode } from '../../functions/core/errors';

export type Lang = 'zh' | 'en';
type Text = Readonly<Record<Lang, string>>;

export const REASONS: Readonly<Record<ReasonCode, Text>> = {
  MALFORMED: { zh: '不是有效格式的健康码。', en: 'Not a well-formed hcx code.' },
  UNSUPPORTED_ALG: {
    zh: '健康码使用了联盟不接受的签名算法。',
    en: 'The code uses an algorithm the federation does not accept.',
  },
  FORBIDDEN_HEADER: { zh: '健康码带有禁止的头部字段。', en: 'The code carries a forbidden header.' },
  UNKNOWN_KEY: { zh: '签名密钥不在信任列表中。', en: 'The signing key is not in the trust list.' },
  KEY_NOT_FOR_ISSUER: {
    zh: '签名密钥不属于签发省份。',
    en: 'The signing key does not belong to the issuing province.',
  },
  KEY_REVOKED: { zh: '签名密钥已被吊销。', en: 'The signing key was revoked.' },
  KEY_NOT_VALID_AT_ISSUANCE: {
    zh: '签发时签名密钥不在有效期内。',
    en: 'The signing key was not valid when the code was issued.',
  },
  SIGNATURE_INVALID: {
    zh: '签名验证失败，健康码可能被篡改。',
    en: 'The signature does not verify: the code may have been altered.',
  },
  CLAIMS_INVALID: { zh: '健康码内容无效。', en: 'The code content is not valid.' },
  NOT_YET_VALID: { zh: '健康码尚未生效。', en: 'The code is not valid yet.' },
  EXPIRED: { zh: '健康码已过期。', en: 'The code has expired.' },
  CODE_REVOKED: { zh: '健康码已被签发省份撤销。', en: 'The code was revoked by its issuer.' },
  HOLDER_MISMATCH: { zh: '证件与健康码持有人不符。', en: 'The ID document does not match the code.' },
  ISSUER_SUSPENDED: { zh: '签发省份已被暂停。', en: 'The issuing province is suspended.' },
  ISSUER_SUNSET: {
    zh: '签发省份已停止服务（日落），其健康码不再有效。',
    en: 'The issuing province has ended its service (sunset); its codes are no longer valid.',
  },
  FEDERATION_SUNSET: {
    zh: '健康码互认联盟已结束（日落），所有健康码均不再有效。',
    en: 'The federation has ended (sunset); no code is valid any more.',
  },
  TRUST_LIST_STALE: {
    zh: '信任列表已过期，无法确定结果，请联网更新。',
    en: 'The trust list is past its expiry: the result cannot be determined. Go online to update it.',
  },
};

export const STATUS: Readonly<Record<'green' | 'yellow' | 'red', Text>> = {
  green: { zh: '绿码', en: 'Green' },
  yellow: { zh: '黄码', en: 'Yellow' },
  red: { zh: '红码', en: 'Red' },
};

/** The labels of a code's card, the same on both pages. */
export const CODE_LABELS: Readonly<Record<'province' | 'name' | 'validity', Text>> = {
  province: { zh: '签发省份', en: 'Issued by' },
  name: { zh: '姓名', en: 'Name' },
  validity: { zh: '有效期至', en: 'Valid until' },
};

/** Province names by the two leading digits of the GB/T 2260 code. */
export { provinceName } from '../../functions/embedded/provinces';

const stored = (): string | null => {
  try {
    return localStorage.getItem('hcx.lang');
  } catch {
    return null;
  }
};

/** The language: `?lang=`, then the one chosen before, then Chinese. */
export function initialLang(): Lang {
  const q = new URLSearchParams(location.search).get('lang');
  if (q === 'en' || q === 'zh') return q;
  return stored() === 'en' ? 'en' : 'zh';
}

export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem('hcx.lang', lang);
  } catch {
    // private mode: the choice lasts for this page only
  }
}

/** "5 minutes" / "5 分钟" for a number of seconds. */
export function duration(seconds: number, lang: Lang): string {
  const units: [number, string, string][] = [
    [86_400, '天', 'day'],
    [3600, '小时', 'hour'],
    [60, '分钟', 'minute'],
  ];
  for (const [size, zh, en] of units) {
    if (seconds >= size) {
      const n = Math.floor(seconds / size);
      return lang === 'zh' ? `${n} ${zh}` : `${n} ${en}${n === 1 ? '' : 's'}`;
    }
  }
  return lang === 'zh' ? `${Math.max(0, Math.floor(seconds))} 秒` : `${Math.max(0, Math.floor(seconds))} s`;
}

/** A date and time in the page's language, in China Standard Time (the federation's clock). */
export function dateTime(iso: string, lang: Lang): string {
  return new Date(iso).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: 'Asia/Shanghai',
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}
