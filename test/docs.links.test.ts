import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The README and the pages of docs/ link each other and the sources by
 * relative paths; a page moved or a heading renamed breaks them silently on
 * GitHub. Every relative link must name a file that exists and, when it names
 * a heading of a Markdown file, a heading that exists.
 */
const ROOT = resolve(new URL('..', import.meta.url).pathname);
const README = join(ROOT, 'README.md');
const DOCS = join(ROOT, 'docs');
const PAGES = [README, ...readdirSync(DOCS).filter((f) => f.endsWith('.md')).map((f) => join(DOCS, f))];

/** Markdown without what is never rendered as a link: fenced code, code spans, HTML comments. */
function renderedText(markdown: string): string {
  return markdown
    .replace(/^```[^\n]*\n[\s\S]*?^```[^\n]*$/gm, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/`[^`\n]*`/g, 'code');
}

/** The targets of inline links and images, `[text](target)` and `![alt](target "title")`. */
function linkTargets(markdown: string): string[] {
  return [...renderedText(markdown).matchAll(/\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

/** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of renderedText(markdown.replace(/`([^`\n]*)`/g, '$1')).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = heading!.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** What is wrong with one relative link from `page`, or undefined when it resolves. */
function brokenLink(page: string, target: string): string | undefined {
  const [path = '', fragment] = target.split('#', 2);
  const file = path === '' ? page : resolve(dirname(page), decodeURIComponent(path));
  if (!existsSync(file)) return `${target}: no file ${relative(ROOT, file)}`;
  if (fragment === undefined || !file.endsWith('.md')) return undefined;
  if (!headingAnchors(readFileSync(file, 'utf8')).has(fragment)) return `${target}: no heading #${fragment} in ${relative(ROOT, file)}`;
  return undefined;
}

const isRelative = (target: string) => !/^[a-z][a-z0-9+.-]*:/i.test(target);

describe('the README and docs/ pages', () => {
  it.each(PAGES.map((p) => [relative(ROOT, p), p]))('%s: every relative link names a file, and a heading, that exists', (_, page) => {
    const targets = linkTargets(readFileSync(page, 'utf8')).filter(isRelative);
    expect(targets.map((t) => brokenLink(page, t)).filter(Boolean)).toEqual([]);
  });

  it('links every page of docs/ from the README', () => {
    const linked = new Set(linkTargets(readFileSync(README, 'utf8')).filter(isRelative).map((t) => resolve(ROOT, t.split('#')[0]!)));
    const unlinked = PAGES.filter((p) => p !== README && !linked.has(p)).map((p) => relative(ROOT, p));
    expect(unlinked).toEqual([]);
  });

  it('finds the links and headings it checks (a link in code is not one)', () => {
    const sample = '# A `code` heading (v1.1)\n## Repeat\n## Repeat\n[a](x.md#b) ![i](docs/p.png "t") `[c](not-a-link)`\n```\n[d](nor-this)\n```\n';
    expect(linkTargets(sample)).toEqual(['x.md#b', 'docs/p.png']);
    expect([...headingAnchors(sample)]).toEqual(['a-code-heading-v11', 'repeat', 'repeat-1']);
  });
});
