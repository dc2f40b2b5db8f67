/**
 * A strict parser for the XML subset our SVG charts use (declaration, comments, elements,
 * quoted attributes, text, the five predefined entities and numeric references): enough to prove
 * a file is well-formed and to look inside it, without a dependency. Throws on anything else.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][\w:.-]*/;

function decode(raw: string, where: number): string {
  return raw.replace(/&([^;&<]*);|&/g, (m, ref: string | undefined) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (ref === undefined) throw new Error(`bare & at ${where}`);
    if (ref in named) return named[ref]!;
    const num = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(ref);
    if (num) return String.fromCodePoint(num[1]!.startsWith('x') ? parseInt(num[1]!.slice(1), 16) : Number(num[1]));
    throw new Error(`unknown entity ${m} at ${where}`);
  });
}

export function parseXml(source: string): XmlElement {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`XML: ${what} at offset ${at}: ${JSON.stringify(source.slice(at, at + 30))}`);
  };
  const skipMisc = (): void => {
    for (;;) {
      const ws = /^\s*/.exec(source.slice(at))![0].length;
      at += ws;
      if (source.startsWith('<?', at)) {
        const end = source.indexOf('?>', at);
        if (end < 0) fail('unterminated <?');
        at = end + 2;
      } else if (source.startsWith('<!--', at)) {
        const end = source.indexOf('-->', at);
        if (end < 0) fail('unterminated comment');
        at = end + 3;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (source[at] !== '<') fail('expected <');
    at++;
    const name = NAME.exec(source.slice(at))?.[0] ?? fail('expected a tag name');
    at += name.length;
    const el: XmlElement = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      const ws = /^\s*/.exec(source.slice(at))![0].length;
      at += ws;
      if (source.startsWith('/>', at)) {
        at += 2;
        return el;
      }
      if (source[at] === '>') {
        at++;
        break;
      }
      if (ws === 0) fail('expected whitespace before an attribute');
      const attr = /^([A-Za-z_:][\w:.-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(source.slice(at)) ?? fail('bad attribute');
      if (attr[1]! in el.attrs) fail(`duplicate attribute ${attr[1]}`);
      el.attrs[attr[1]!] = decode(attr[3] ?? attr[4] ?? '', at);
      at += attr[0].length;
    }
    for (;;) {
      const lt = source.indexOf('<', at);
      if (lt < 0) fail(`unclosed <${name}>`);
      el.text += decode(source.slice(at, lt), at);
      at = lt;
      if (source.startsWith('</', at)) {
        const close = new RegExp(`^</${name.replace(/[.:-]/g, '\\$&')}\\s*>`).exec(source.slice(at)) ?? fail(`expected </${name}>`);
        at += close[0].length;
        return el;
      }
      if (source.startsWith('<!--', at)) {
        const end = source.indexOf('-->', at);
        if (end < 0) fail('unterminated comment');
        at = end + 3;
        continue;
      }
      el.children.push(element());
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (at !== source.length) fail('content after the root element');
  return root;
}

/** Every element below (and including) root, depth first. */
export function allElements(root: XmlElement): XmlElement[] {
  return [root, ...root.children.flatMap(allElements)];
}
