/**
 * Characters no field of this API takes: C0 and C1 controls but tab and line breaks (NUL among them),
 * bidirectional overrides and isolates (U+202A-202E, U+2066-2069: they make text read otherwise than
 * it is stored), the zero-width space, a byte-order mark and non-characters. Emoji, CJK and joiners
 * pass. The route layer checks every string of a request against this (api/http/route.ts) and the
 * OpenAPI document states it as a pattern on every free string (api/http/openapi.ts).
 */
const FORBIDDEN_CHARS = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u200B\\u202A-\\u202E\\u2066-\\u2069\\uFEFF\\uFFFE\\uFFFF';

/** The above, and lone UTF-16 surrogates (not text at all, though a JSON body can spell one as \\ud800). */
export const FORBIDDEN_TEXT = new RegExp(`[${FORBIDDEN_CHARS}]|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]`);

/** A JSON Schema pattern for text without the forbidden characters. */
export const ALLOWED_TEXT_PATTERN = `^[^${FORBIDDEN_CHARS}]*$`;
