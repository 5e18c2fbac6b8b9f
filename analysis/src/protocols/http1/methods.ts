// Request methods HTTP/1 traffic is recognised by: RFC 9110 plus WebDAV, CalDAV, UPnP and proxy extensions.

/** The methods tshark 4.0 also recognises (its list includes CCM_POST, for Cisco CallManager). */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'REPORT', 'SEARCH', 'MKCALENDAR',
  'CHECKOUT', 'MERGE', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'PURGE', 'LINK', 'UNLINK', 'CCM_POST',
]);
