#!/usr/bin/env python3
"""productpage (Python): the shop's front page. GET /productpage?id=N calls details and reviews, a new connection per
call as Bookinfo's productpage does (so the reviews ClusterIP spreads the calls over v1 and v2), and answers with
both. A failing dependency answers 502 with what failed, so the load generator sees the incident."""
import http.client
import json
import os
import urllib.parse

from labhttp import JsonHandler, serve

PORT = int(os.environ.get("PORT", "9080"))
DETAILS = os.environ.get("DETAILS_HOST", "details")
REVIEWS = os.environ.get("REVIEWS_HOST", "reviews")


def call(host, path, headers):
    c = http.client.HTTPConnection(host, 9080, timeout=5)
    try:
        c.request("GET", path, headers={**headers, "Connection": "close"})
        r = c.getresponse()
        return r.status, r.read()
    except (http.client.HTTPException, OSError) as e:
        return 599, str(e).encode()
    finally:
        c.close()


class Handler(JsonHandler):
    def get(self, u):
        if u.path != "/productpage":
            return self.send(404, {"error": "not found"})
        pid = urllib.parse.parse_qs(u.query).get("id", ["0"])[0]
        fwd = {k: v for k, v in self.headers.items() if k.lower() in ("x-request-id", "traceparent", "user-agent")}
        ds, dbody = call(DETAILS, f"/details/{pid}", fwd)
        rs, rbody = call(REVIEWS, f"/reviews/{pid}", fwd)
        if ds != 200 or rs != 200:
            return self.send(502, {"error": "dependency failed", "details": ds, "reviews": rs})
        self.send(200, {"id": pid, "details": json.loads(dbody), "reviews": json.loads(rbody)})


if __name__ == "__main__":
    serve(PORT, Handler)
