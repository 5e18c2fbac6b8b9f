#!/usr/bin/env python3
"""ratings (Python): GET /ratings/N reads the product's ratings from MariaDB (PyMySQL) over a small pool of
persistent connections. A lost or refused database connection answers 500 and is opened again on the next request."""
import os
import queue

from labhttp import JsonHandler, serve

import pymysql

PORT = int(os.environ.get("PORT", "9080"))
DB_HOST = os.environ.get("DB_HOST", "mariadb")
POOL_SIZE = int(os.environ.get("POOL_SIZE", "2"))
pool = queue.Queue()
for _ in range(POOL_SIZE):
    pool.put(None)


def connect():
    return pymysql.connect(host=DB_HOST, port=3306, user="ratings", password="ratings", database="bookinfo",
                           connect_timeout=3, read_timeout=5, write_timeout=5, autocommit=True)


class Handler(JsonHandler):
    def get(self, u):
        parts = u.path.strip("/").split("/")
        if len(parts) != 2 or parts[0] != "ratings" or not parts[1].isdigit():
            return self.send(404, {"error": "not found"})
        conn = pool.get()
        try:
            if conn is None:
                conn = connect()
            with conn.cursor() as cur:
                cur.execute("SELECT reviewer, stars FROM ratings WHERE product_id = %s ORDER BY reviewer", (int(parts[1]),))
                rows = cur.fetchall()
            self.send(200, {"id": int(parts[1]), "ratings": {r: s for r, s in rows}})
        except pymysql.MySQLError as e:
            try:
                if conn is not None:
                    conn.close()
            except Exception:
                pass
            conn = None
            self.send(500, {"error": "database unavailable", "detail": str(e)})
        finally:
            pool.put(conn)


if __name__ == "__main__":
    serve(PORT, Handler)
