/*
 * Preload safety scan: finds code in preloaded modules that, at run time, writes module-level state which XS froze into
 * flash when the module was preloaded.
 *
 * Theory of operation. mcconfig's `preload` list (manifest.json, platforms.esp32.preload) runs those module bodies at build
 * time; the XS linker then stores what they created in flash. Per the Moddable SDK's documentation/xs/XS linker
 * warnings.md ("Exceptions"), preloaded instances of ArrayBuffer, DataView, the typed arrays, Map, Set, WeakMap, WeakSet
 * and Date cannot be aliased: their mutators (typed array set/fill/copyWithin/reverse/sort and indexed assignment, DataView
 * set*, Map/WeakMap set/delete/clear, Set/WeakSet add/delete/clear, Date set*) throw a TypeError on the device, and
 * functions (so classes, so static fields) are frozen. Plain objects, arrays and `let` bindings are aliasable: the first
 * write copies them to RAM (documentation/xs/preload.md, "Module Scope"), a RAM cost at every boot but no fault.
 *
 * The scan parses every preloaded module with the TypeScript compiler API and a type checker, and looks at code that runs
 * after preload — bodies of functions, methods, constructors, accessors and arrow functions, and instance field
 * initializers; not the module body, static initializers or static blocks, which run during preload. For each write (assignment, ++/--, delete, a mutating method call) it finds the
 * root binding of the written object (`TABLE` in `TABLE[i] = 0`, `Cls` in `Cls.count++` and in `this.x = 1` inside a static
 * method). When that root is declared at the top level of a preloaded module (directly or through an import), the write is
 *   - an error if the written object is one of the non-aliasable built-ins above, or is a class or function (a static
 *     field), and the root is a binding never reassigned at run time;
 *   - a warning otherwise (a module-level plain object/array written, or a module-level `let` reassigned: RAM at boot).
 * Writes through a parameter or a local alias are not followed: the rule of the house (scratch belongs to instances) keeps
 * module-level buffers out of parameters in the first place.
 */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

export interface PreloadFinding {
  /** The module specifier as the manifest names it (e.g. "modules/concentrator/values"). */
  readonly module: string;
  /** 1-based line of the write. */
  readonly line: number;
  readonly severity: "error" | "warning";
  readonly message: string;
}

/** Built-ins whose preloaded instances cannot be aliased, with the methods that throw on them. */
const FROZEN_MUTATORS: ReadonlyMap<string, ReadonlySet<string>> = (() => {
  const typed = new Set(["set", "fill", "copyWithin", "reverse", "sort"]);
  const m = new Map<string, ReadonlySet<string>>();
  for (const name of ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
    "Float16Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]) m.set(name, typed);
  m.set("ArrayBuffer", new Set(["resize", "transfer", "transferToFixedLength"]));
  m.set("DataView", new Set(["setInt8", "setUint8", "setInt16", "setUint16", "setInt32", "setUint32", "setFloat16", "setFloat32",
    "setFloat64", "setBigInt64", "setBigUint64"]));
  m.set("Map", new Set(["set", "delete", "clear"]));
  m.set("WeakMap", new Set(["set", "delete"]));
  m.set("Set", new Set(["add", "delete", "clear"]));
  m.set("WeakSet", new Set(["add", "delete"]));
  m.set("Date", new Set(["setDate", "setFullYear", "setHours", "setMilliseconds", "setMinutes", "setMonth", "setSeconds", "setTime",
    "setYear", "setUTCDate", "setUTCFullYear", "setUTCHours", "setUTCMilliseconds", "setUTCMinutes", "setUTCMonth", "setUTCSeconds"]));
  return m;
})();
const ARRAY_MUTATORS = new Set(["push", "pop", "shift", "unshift", "splice", "sort", "reverse", "fill", "copyWithin"]);

/** The manifest's preload list: the one source of truth for what is preloaded. */
export function manifestPreloads(root: string): string[] {
  const manifest = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8"));
  return [...(manifest.platforms.esp32.preload as string[])];
}

/** Scans the modules named by `specifiers` (files `<root>/<specifier>.ts`), treating all of them as preloaded. */
export function scanPreloaded(root: string, specifiers: readonly string[]): PreloadFinding[] {
  const files = specifiers.map((s) => join(root, `${s}.ts`));
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2022.d.ts"], types: [], strict: true, noEmit: true, skipLibCheck: true, allowImportingTsExtensions: true,
  });
  const checker = program.getTypeChecker();
  const preloaded = new Set(files.map((f) => ts.sys.resolvePath(f)));
  const moduleOf = new Map(files.map((f, i) => [ts.sys.resolvePath(f), specifiers[i]]));
  const findings: PreloadFinding[] = [];

  /** The declaration of a module-level binding in a preloaded file, following imports; undefined otherwise. */
  function moduleLevelDeclaration(symbol: ts.Symbol | undefined): ts.Declaration | undefined {
    if (symbol === undefined) return undefined;
    if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    const decl = symbol.valueDeclaration ?? symbol.declarations?.[0];
    if (decl === undefined || !preloaded.has(ts.sys.resolvePath(decl.getSourceFile().fileName))) return undefined;
    if (ts.isVariableDeclaration(decl)) {
      const statement = decl.parent?.parent;
      return statement && ts.isVariableStatement(statement) && ts.isSourceFile(statement.parent) ? decl : undefined;
    }
    if ((ts.isClassDeclaration(decl) || ts.isFunctionDeclaration(decl) || ts.isEnumDeclaration(decl)) && ts.isSourceFile(decl.parent)) return decl;
    return undefined;
  }

  /** Module-level `let`/`var` bindings assigned somewhere at run time (writes through them may reach RAM objects). */
  const reassigned = new Set<ts.Declaration>();

  /** The non-aliasable built-in a type is (or may be, for unions), else undefined. */
  function frozenKind(type: ts.Type): string | undefined {
    if (type.isUnion()) {
      for (const t of type.types) { const k = frozenKind(t); if (k) return k; }
      return undefined;
    }
    if (type.aliasSymbol?.name === "Readonly" && type.aliasTypeArguments?.length === 1) return frozenKind(type.aliasTypeArguments[0]);
    const name = type.getSymbol()?.getName();
    return name !== undefined && FROZEN_MUTATORS.has(name) ? name : undefined;
  }

  /** Strips parentheses, casts and `!`. */
  function bare(e: ts.Expression): ts.Expression {
    while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
    return e;
  }

  /** The root of a property/element chain and the class a `this` root means (inside a static member), if any. */
  function rootOf(e: ts.Expression): { root: ts.Expression; staticClass?: ts.ClassLikeDeclaration } {
    e = bare(e);
    while (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) e = bare(e.expression);
    if (e.kind === ts.SyntaxKind.ThisKeyword) {
      // `this` means the class inside a static method or accessor (arrow functions see through to the enclosing one).
      let container: ts.Node | undefined = e.parent;
      while (container && (ts.isArrowFunction(container) || !(ts.isFunctionLike(container) || ts.isClassStaticBlockDeclaration(container) || ts.isPropertyDeclaration(container) || ts.isSourceFile(container)))) container = container.parent;
      const isStatic = container !== undefined && (ts.isMethodDeclaration(container) || ts.isGetAccessor(container) || ts.isSetAccessor(container))
        && (ts.getCombinedModifierFlags(container) & ts.ModifierFlags.Static) !== 0;
      if (isStatic && ts.isClassLike(container!.parent)) return { root: e, staticClass: container!.parent };
    }
    return { root: e };
  }

  /**
   * True when `node` runs after preload: inside a function-like body or an instance field initializer (run by the
   * constructor); not the module body, a static initializer or a static block.
   */
  function runsAtRunTime(node: ts.Node): boolean {
    for (let p = node.parent; p; p = p.parent) {
      if (ts.isFunctionLike(p)) return true;
      if (ts.isPropertyDeclaration(p) && (ts.getCombinedModifierFlags(p) & ts.ModifierFlags.Static) === 0) return true;
      if (ts.isSourceFile(p)) return false;
    }
    return false;
  }

  function report(node: ts.Node, severity: PreloadFinding["severity"], message: string): void {
    const sf = node.getSourceFile();
    findings.push({ module: moduleOf.get(ts.sys.resolvePath(sf.fileName)) ?? relative(root, sf.fileName), line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1, severity, message });
  }

  /** Classifies a write into `target` (the object whose property, element or contents change). */
  function checkObjectWrite(node: ts.Node, target: ts.Expression, what: string): void {
    const { root, staticClass } = rootOf(target);
    let decl: ts.Declaration | undefined;
    let name: string;
    if (staticClass) {
      decl = ts.isClassDeclaration(staticClass) && ts.isSourceFile(staticClass.parent) ? staticClass : undefined;
      name = staticClass.name?.text ?? "class";
    } else if (ts.isIdentifier(root)) {
      decl = moduleLevelDeclaration(checker.getSymbolAtLocation(root));
      name = root.text;
    } else return;
    if (decl === undefined) return;
    const object = bare(target);
    const kind = frozenKind(checker.getTypeAtLocation(object));
    const isClassOrFunction = (ts.isClassDeclaration(decl) || ts.isFunctionDeclaration(decl)) && (staticClass !== undefined || object === root);
    if (kind !== undefined && !reassigned.has(decl)) {
      report(node, "error", `${what} module-level ${kind} \`${name}\` at run time: it is read-only in flash once preloaded (move it to an instance or an argument)`);
    } else if (isClassOrFunction) {
      report(node, "error", `${what} static state of \`${name}\` at run time: preloaded classes and functions are frozen (static fields are read-only)`);
    } else {
      report(node, "warning", `${what} module-level \`${name}\` at run time: copied to RAM on first write (RAM at every boot)`);
    }
  }

  function assignedIdentifier(node: ts.Node): ts.Expression | undefined {
    if (ts.isBinaryExpression(node) && node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && node.operatorToken.kind <= ts.SyntaxKind.LastAssignment) return bare(node.left);
    if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)) return bare(node.operand);
    if (ts.isDeleteExpression(node)) return bare(node.expression);
    return undefined;
  }

  const sources = files.map((f) => program.getSourceFile(f)).filter((s): s is ts.SourceFile => s !== undefined);
  // Pass 1: module-level bindings reassigned at run time.
  for (const sf of sources) {
    const visit = (node: ts.Node): void => {
      const written = assignedIdentifier(node);
      if (written && ts.isIdentifier(written) && runsAtRunTime(node)) {
        const decl = moduleLevelDeclaration(checker.getSymbolAtLocation(written));
        if (decl) reassigned.add(decl);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  // Pass 2: the writes.
  for (const sf of sources) {
    const visit = (node: ts.Node): void => {
      if (runsAtRunTime(node)) {
        const written = assignedIdentifier(node);
        if (written) {
          if (ts.isIdentifier(written)) {
            const decl = moduleLevelDeclaration(checker.getSymbolAtLocation(written));
            if (decl) report(node, "warning", `assigns module-level \`${written.text}\` at run time: copied to RAM on first write (RAM at every boot)`);
          } else if (ts.isPropertyAccessExpression(written) || ts.isElementAccessExpression(written)) {
            checkObjectWrite(node, written.expression, ts.isDeleteExpression(node) ? "deletes from" : "writes into");
          }
        } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(bare(node.expression))) {
          const callee = bare(node.expression) as ts.PropertyAccessExpression;
          const method = callee.name.text;
          const kind = frozenKind(checker.getTypeAtLocation(bare(callee.expression)));
          if (kind !== undefined && FROZEN_MUTATORS.get(kind)!.has(method)) {
            checkObjectWrite(node, callee.expression, `calls ${method}() on`);
          } else if (kind === undefined && ARRAY_MUTATORS.has(method) && checker.isArrayType(checker.getTypeAtLocation(bare(callee.expression)))) {
            checkObjectWrite(node, callee.expression, `calls ${method}() on`);
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return findings.sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : a.line - b.line));
}

/** One line per finding: `module:line: severity: message`. */
export function formatFinding(f: PreloadFinding): string {
  return `${f.module}:${f.line}: ${f.severity}: ${f.message}`;
}
