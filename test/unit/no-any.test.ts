// No `any` in the public types of 'vethcon' and 'vethcon/netlink'. Read with
// the TypeScript compiler API from the declarations tsc emitted (dist/src/**/*.d.ts),
// starting at the two entry points of package.json "exports":
//
// 1. every `any` keyword written in a declaration file those entries reach
//    (comments are not syntax, so a comment saying "any" does not count);
// 2. every exported symbol's type, walked through properties, signatures,
//    type arguments, unions and intersections, for `any` that no file spells
//    out (a type inferred from an untyped value, `any` inside a library type
//    we re-export). Private members are skipped: declaration files print them
//    without types.
//
// Implementation files may still use `any` inside function bodies (generated
// decoders); only what a user of the package can see is checked here.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../support/fixtures.js';

const DIST_SRC = join(repoRoot, 'dist', 'src') + sep;
const ENTRIES: Record<string, string> = {
  vethcon: join(repoRoot, 'dist', 'src', 'index.d.ts'),
  'vethcon/netlink': join(repoRoot, 'dist', 'src', 'netlink', 'index.d.ts'),
};

const ours = (file: string): boolean => file.startsWith(DIST_SRC) && file.endsWith('.d.ts');
const where = (sf: ts.SourceFile, pos: number): string =>
  `${relative(repoRoot, sf.fileName)}:${sf.getLineAndCharacterOfPosition(pos).line + 1}`;

function program(): ts.Program {
  for (const f of Object.values(ENTRIES)) assert.ok(existsSync(f), `${f} is missing: run tsc first (it emits declarations)`);
  return ts.createProgram(Object.values(ENTRIES), {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  });
}

/** The names of the declarations around a node (`Codec.decode.parent`), for the report. */
function ownerName(stack: readonly ts.Node[]): string {
  const names: string[] = [];
  for (const n of stack) {
    const name = (n as { name?: ts.Node }).name;
    if (name && (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name))) names.push(name.text);
  }
  return names.join('.') || '(top level)';
}

/** `any` keywords written in our declaration files reachable from the entries. */
export function anyKeywords(p: ts.Program = program()): string[] {
  const found: string[] = [];
  for (const sf of p.getSourceFiles()) {
    if (!ours(sf.fileName)) continue;
    const stack: ts.Node[] = [];
    const visit = (node: ts.Node): void => {
      if (node.kind === ts.SyntaxKind.AnyKeyword) {
        const around = stack[stack.length - 1];
        found.push(`${where(sf, node.getStart(sf))} ${ownerName(stack)}: ${around.getText(sf).replace(/\s+/g, ' ').slice(0, 120)}`);
      }
      stack.push(node);
      ts.forEachChild(node, visit);
      stack.pop();
    };
    visit(sf);
  }
  return found;
}

const isPrivate = (s: ts.Symbol): boolean => (s.declarations ?? []).some((d) =>
  (ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0
  || ((ts.isPropertyDeclaration(d) || ts.isMethodDeclaration(d)) && ts.isPrivateIdentifier(d.name)));

/** Types declared only outside dist/src (lib.d.ts, @types/node, zod): their members are not ours to check, their type arguments are. */
const foreign = (t: ts.Type): boolean => {
  const decls = (t.aliasSymbol ?? t.getSymbol())?.declarations ?? [];
  return decls.length > 0 && decls.every((d) => !ours(d.getSourceFile().fileName));
};

/** Paths from an exported symbol to an `any` its type reaches. */
export function anyInExportedTypes(p: ts.Program = program(), entries: Record<string, string> = ENTRIES): string[] {
  const checker = p.getTypeChecker();
  const found = new Set<string>();
  const seen = new Set<ts.Type>();
  const walk = (t: ts.Type, path: string, depth: number): void => {
    if (t.flags & ts.TypeFlags.Any) { found.add(path); return; }
    if (seen.has(t) || depth > 40) return;
    seen.add(t);
    if (t.isUnionOrIntersection()) { for (const u of t.types) walk(u, path, depth + 1); return; }
    const args = t.aliasTypeArguments ?? ((t.flags & ts.TypeFlags.Object) && ((t as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference) ? checker.getTypeArguments(t as ts.TypeReference) : []);
    args.forEach((a, i) => walk(a, `${path}<${i}>`, depth + 1));
    if (!(t.flags & ts.TypeFlags.Object) || foreign(t)) return;
    for (const prop of checker.getPropertiesOfType(t)) {
      // A class's `prototype` is typed by TypeScript itself (Protocol<any> for a generic class); its instance type is walked on its own.
      if (isPrivate(prop) || prop.flags & ts.SymbolFlags.Prototype) continue;
      const decl = prop.valueDeclaration ?? prop.declarations?.[0];
      const pt = decl ? checker.getTypeOfSymbolAtLocation(prop, decl) : checker.getTypeOfSymbol(prop);
      walk(pt, `${path}.${prop.getName()}`, depth + 1);
    }
    for (const kind of [ts.SignatureKind.Call, ts.SignatureKind.Construct]) {
      for (const sig of checker.getSignaturesOfType(t, kind)) {
        sig.getParameters().forEach((param) => {
          const decl = param.valueDeclaration;
          if (decl) walk(checker.getTypeOfSymbolAtLocation(param, decl), `${path}(${param.getName()})`, depth + 1);
        });
        walk(sig.getReturnType(), `${path}()`, depth + 1);
      }
    }
    for (const info of checker.getIndexInfosOfType(t)) walk(info.type, `${path}[${checker.typeToString(info.keyType)}]`, depth + 1);
  };
  for (const [pkg, file] of Object.entries(entries)) {
    const sf = p.getSourceFile(file);
    const mod = sf && checker.getSymbolAtLocation(sf);
    assert.ok(mod, `no module symbol for ${file}`);
    for (const exported of checker.getExportsOfModule(mod)) {
      const s = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const decl = s.valueDeclaration ?? s.declarations?.[0];
      const name = `${pkg}: ${exported.getName()}`;
      if (s.flags & (ts.SymbolFlags.Value)) walk(checker.getTypeOfSymbolAtLocation(s, decl ?? sf), name, 0);
      if (s.flags & (ts.SymbolFlags.Type)) walk(checker.getDeclaredTypeOfSymbol(s), name, 0);
    }
  }
  return [...found];
}

describe('no `any` in the public types', () => {
  let p: ts.Program;
  before(() => { p = program(); });

  it('reaches the declaration files behind both entry points', () => {
    const files = p.getSourceFiles().map((sf) => sf.fileName).filter(ours).map((f) => relative(DIST_SRC, f));
    for (const f of ['index.d.ts', 'netlink/index.d.ts', 'netlink/attr.d.ts', 'netlink/message.d.ts', 'api/netns.d.ts', 'transport/socket.d.ts']) {
      assert.ok(files.includes(f.split('/').join(sep)), `${f} not reached (reached: ${files.join(', ')})`);
    }
  });

  it('no declaration file the entry points reach writes `any`', () => {
    const found = anyKeywords(p);
    assert.deepEqual(found, [], `\`any\` in public declarations:\n  ${found.join('\n  ')}`);
  });

  it('no exported type reaches `any` through properties, signatures or type arguments', () => {
    const found = anyInExportedTypes(p);
    assert.deepEqual(found, [], `exported types reaching \`any\`:\n  ${found.join('\n  ')}`);
  });

  it('the walk does find `any` (the check itself works)', () => {
    const host = ts.createCompilerHost({});
    const probe = join(DIST_SRC, '__probe__.d.ts');
    const text = 'export interface Probe { a: { b: Array<any> } }\nexport declare const loose: (x: unknown) => Promise<any>;\n';
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang) => (name === probe ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang));
    host.fileExists = ((exists) => (name: string) => name === probe || exists(name))(host.fileExists.bind(host));
    const probeProgram = ts.createProgram([probe], { noEmit: true, types: [] }, host);
    assert.equal(anyKeywords(probeProgram).length, 2);
    assert.deepEqual(anyInExportedTypes(probeProgram, { probe }).sort(), ['probe: Probe.a.b<0>', 'probe: loose()<0>']);
  });
});
