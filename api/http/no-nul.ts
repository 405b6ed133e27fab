import type { RequestHandler } from 'express';
import { problems } from './problem';

/** The path of the first string holding U+0000 in a parsed body or query, or null. */
function findNul(value: unknown, at: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? at : null;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = findNul(v, `${at}.${i}`);
      if (found) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const found = k.includes('\u0000') ? `${at}.${k.replaceAll('\u0000', '\\u0000')}` : findNul(v, `${at}.${k}`);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Refuses text holding the NUL character (U+0000) in the path, the query or the body, with a 400,
 * before anything runs. No field means it, and PostgreSQL cannot store it in text or JSON: it
 * would fail mid-request with a 500 there, while SQLite would keep it.
 */
export const refuseNulCharacters: RequestHandler = (req, _res, next) => {
  let inPath = false;
  try {
    inPath = decodeURIComponent(req.path).includes('\u0000');
  } catch {
    // A malformed escape is the router's to answer.
  }
  const at = inPath ? 'path' : (findNul(req.query, 'query') ?? findNul(req.body, 'body'));
  if (at) return next(problems.validation([{ path: at, message: 'Text may not contain the NUL character (U+0000)' }]));
  next();
};
