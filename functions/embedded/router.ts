/**
 * The API Gateway route matcher of the embedded stand-in: route templates from the route table,
 * compiled once, matched against a method and raw path (404 / 405 with `Allow`, as API Gateway).
 */
import type { RouteDefinition } from '../routes';

/** A compiled route template. */
interface CompiledRoute {
  readonly route: RouteDefinition;
  readonly segments: readonly { readonly literal?: string; readonly param?: string }[];
}

/** The outcome of matching a request path against the route table. */
export type RouteMatch =
  | { readonly kind: 'found'; readonly route: RouteDefinition; readonly rawParams: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not-found' };

/** Compile route templates once; `match` then resolves a method and raw (still encoded) path. */
export function compileRoutes(
  routes: readonly RouteDefinition[],
): (method: string, rawPath: string) => RouteMatch {
  const compiled: CompiledRoute[] = routes.map((route) => ({
    route,
    segments: route.path
      .split('/')
      .slice(1)
      .map((s) => {
        const m = /^\{([A-Za-z0-9_]+)\}$/.exec(s);
        return m ? { param: m[1] } : { literal: s };
      }),
  }));
  return (method, rawPath) => {
    const parts = rawPath.split('/').slice(1);
    const candidates: { route: RouteDefinition; params: Record<string, string>; score: number[] }[] = [];
    for (const c of compiled) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const score: number[] = [];
      let ok = rawPath.startsWith('/');
      for (let i = 0; ok && i < parts.length; i++) {
        const seg = c.segments[i];
        if (seg.literal !== undefined) {
          ok = seg.literal === parts[i];
          score.push(1);
        } else {
          ok = parts[i] !== '';
          params[seg.param as string] = parts[i];
          score.push(0);
        }
      }
      if (ok) candidates.push({ route: c.route, params, score });
    }
    if (candidates.length === 0) return { kind: 'not-found' };
    // the most specific template wins: literals before parameters, left to right; only then the
    // method, so a literal segment is never taken for a parameter (`GET /v1/codes/verify` is 405,
    // not a code id) and `Allow` names the methods of that one template
    candidates.sort((a, b) => {
      for (let i = 0; i < a.score.length; i++) if (a.score[i] !== b.score[i]) return b.score[i] - a.score[i];
      return 0;
    });
    const template = candidates[0].route.path;
    const sameTemplate = candidates.filter((c) => c.route.path === template);
    const found = sameTemplate.find((c) => c.route.method === method);
    if (!found) {
      return {
        kind: 'method-not-allowed',
        allow: [...new Set(sameTemplate.map((c) => c.route.method))].sort(),
      };
    }
    return { kind: 'found', route: found.route, rawParams: found.params };
  };
}
