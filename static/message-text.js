// A message's text as DOM nodes: text nodes, and an <a> for each http(s) URL.
// Nothing else becomes markup: the text never goes through innerHTML.

const URL_RE = /\bhttps?:\/\/[^\s<>"]+/gi;
// A sentence's closing punctuation is not part of the link it ends with.
const TRAILING_RE = /[.,;:!?'")\]]+$/;

function linkFor(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const a = document.createElement('a');
  a.href = url.href;
  a.textContent = raw;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  return a;
}

/** The nodes that show `text`: its lines kept (CSS white-space: pre-wrap), its http(s) URLs as links. */
export function textNodes(text) {
  const nodes = [];
  let at = 0;
  for (const match of text.matchAll(URL_RE)) {
    const raw = match[0].replace(TRAILING_RE, '');
    const link = raw && linkFor(raw);
    if (!link) continue;
    if (match.index > at) nodes.push(document.createTextNode(text.slice(at, match.index)));
    nodes.push(link);
    at = match.index + raw.length;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}
