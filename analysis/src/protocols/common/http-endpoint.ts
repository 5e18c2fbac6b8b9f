// HTTP endpoint extraction: the RED-metrics key of an HTTP request is the start of its path, not the whole path,
// so that /api/v1/orders/795951 and /api/v1/orders/12 aggregate together (DeepFlow's http_endpoint_extraction,
// whose default rule keeps the first two segments for every prefix).

/** Path segments kept by the default rule (DeepFlow's default `keep-segments: 2`). */
export const HTTP_ENDPOINT_SEGMENTS = 2;

/**
 * The first `keep` segments of `path` (query and fragment already removed), e.g. '/api/v1/orders/7' → '/api/v1',
 * '/index.html' → '/index.html', '/' → '/'. Empty segments (a doubled or trailing slash) are not counted.
 */
export function httpEndpoint(path: string, keep = HTTP_ENDPOINT_SEGMENTS): string {
  if (path.length === 0) return '/';
  let seen = 0;
  let i = path.charCodeAt(0) === 0x2f ? 1 : 0;
  let segStart = i;
  for (; i < path.length; i++) {
    if (path.charCodeAt(i) !== 0x2f) continue;
    if (i > segStart && ++seen === keep) return path.slice(0, i);
    segStart = i + 1;
  }
  // Fewer than `keep + 1` segments: the whole path, without a trailing slash (except the root itself).
  return path.length > 1 && path.charCodeAt(path.length - 1) === 0x2f ? path.slice(0, path.length - 1) : path;
}
