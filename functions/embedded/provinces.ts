/**
 * Province-level GB/T 2260 codes and names (STANDARD.md's list), for naming local province nodes.
 */

/** A province-level division: English and Chinese name. */
export interface ProvinceName {
  readonly en: string;
  readonly zh: string;
}

/** Keyed by the two leading digits of the region code. */
const PROVINCES: Readonly<Record<string, ProvinceName>> = {
  '11': { en: 'Beijing', zh: '北京市' },
  '12': { en: 'Tianjin', zh: '天津市' },
  '13': { en: 'Hebei', zh: '河北省' },
  '14': { en: 'Shanxi', zh: '山西省' },
  '15': { en: 'Inner Mongolia', zh: '内蒙古自治区' },
  '21': { en: 'Liaoning', zh: '辽宁省' },
  '22': { en: 'Jilin', zh: '吉林省' },
  '23': { en: 'Heilongjiang', zh: '黑龙江省' },
  '31': { en: 'Shanghai', zh: '上海市' },
  '32': { en: 'Jiangsu', zh: '江苏省' },
  '33': { en: 'Zhejiang', zh: '浙江省' },
  '34': { en: 'Anhui', zh: '安徽省' },
  '35': { en: 'Fujian', zh: '福建省' },
  '36': { en: 'Jiangxi', zh: '江西省' },
  '37': { en: 'Shandong', zh: '山东省' },
  '41': { en: 'Henan', zh: '河南省' },
  '42': { en: 'Hubei', zh: '湖北省' },
  '43': { en: 'Hunan', zh: '湖南省' },
  '44': { en: 'Guangdong', zh: '广东省' },
  '45': { en: 'Guangxi', zh: '广西壮族自治区' },
  '46': { en: 'Hainan', zh: '海南省' },
  '50': { en: 'Chongqing', zh: '重庆市' },
  '51': { en: 'Sichuan', zh: '四川省' },
  '52': { en: 'Guizhou', zh: '贵州省' },
  '53': { en: 'Yunnan', zh: '云南省' },
  '54': { en: 'Tibet', zh: '西藏自治区' },
  '61': { en: 'Shaanxi', zh: '陕西省' },
  '62': { en: 'Gansu', zh: '甘肃省' },
  '63': { en: 'Qinghai', zh: '青海省' },
  '64': { en: 'Ningxia', zh: '宁夏回族自治区' },
  '65': { en: 'Xinjiang', zh: '新疆维吾尔自治区' },
  '71': { en: 'Taiwan', zh: '台湾省' },
  '81': { en: 'Hong Kong', zh: '香港特别行政区' },
  '82': { en: 'Macao', zh: '澳门特别行政区' },
};

/** The default local federation: Zhejiang, Guangdong, Fujian. */
export const DEFAULT_PROVINCES: readonly string[] = ['330000', '440000', '350000'];

/** The name of a province-level region code (`330000`), or undefined when it is not one. */
export function provinceName(region: string): ProvinceName | undefined {
  if (!/^\d{2}0000$/.test(region)) return undefined;
  return PROVINCES[region.slice(0, 2)];
}
