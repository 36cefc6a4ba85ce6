/**
 * The two pages share one shell (web/page.html: doctype, head, header with the language button,
 * script tag); each page adds only its title and its own body (web/<page>/body.html). The style
 * sheet is inlined so the CSP allows it by its hash. The pages themselves run in
 * test/browser/pages.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PAGES, pageHtml, type PageName } from '../../web/build';

const WEB = join(__dirname, '../../web');
const CSS = 'body{color:red}';
const names = Object.keys(PAGES) as PageName[];
const html = Object.fromEntries(names.map((n) => [n, pageHtml(n, CSS)])) as Record<PageName, string>;

/** The page with its own parts (title, body, script) blanked: what must be the same for every page. */
function shellOf(name: PageName): string {
  const body = readFileSync(join(WEB, name, 'body.html'), 'utf8')
    .trim()
    .split('\n');
  let rest = html[name].replace(`<title>${PAGES[name].title}</title>`, '<title></title>');
  rest = rest.replace(`<script src="${PAGES[name].script}">`, '<script>');
  const start = rest.indexOf(body[0]);
  const end = rest.indexOf(body.at(-1)!, start) + body.at(-1)!.length;
  expect([start, end > start]).toEqual([expect.any(Number), true]);
  return rest.slice(0, start) + rest.slice(end);
}

describe('the one shell of the pages', () => {
  it.each(names)(
    '%s: its title, its body, its script and the inlined style sheet, nothing left to fill',
    (name) => {
      // assert
      expect(html[name]).toContain(`<title>${PAGES[name].title}</title>`);
      expect(html[name]).toContain(`<script src="${PAGES[name].script}"></script>`);
      expect(html[name]).toContain(`<style>${CSS}</style>`);
      expect(html[name]).not.toMatch(/\{\{|pages\.css/);
      expect(html[name]).toMatch(/^<!doctype html>\n<html lang="zh-CN">/);
      expect(html[name]).toContain('<meta name="referrer" content="no-referrer" />');
      expect(html[name]).toContain('<button id="lang" type="button" lang="en">English</button>');
    },
  );

  it('is the same around every page', () => {
    // assert
    expect(new Set(names.map(shellOf)).size).toBe(1);
  });
});
