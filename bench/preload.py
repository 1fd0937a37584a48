#!/usr/bin/env python3
"""Write keys <prefix>-000001 .. <prefix>-<N> (same names as lua/kv.lua) over HTTP keep-alive.

Usage: preload.py STYLE BASE_URL N [--prefix anchor] [--value-size 16] [--threads 8] [--path-prefix P]
STYLE: kv | etcd2 | etcd3  (same request shapes as lua/kv.lua)
Prints: keys, seconds, keys/s, failures. Exit 1 if any request failed.
Copied unchanged from the peer benchmarks in shared/bench/preload.py; used by bench/run.sh.
"""
import argparse
import base64
import http.client
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("style", choices=["kv", "etcd2", "etcd3"])
    ap.add_argument("base_url")
    ap.add_argument("n", type=int)
    ap.add_argument("--prefix", default="anchor")
    ap.add_argument("--value-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--path-prefix", default=None)
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.base_url)
    pp = a.path_prefix or {"kv": "/keys/", "etcd2": "/v2/keys/", "etcd3": "/v3/kv/"}[a.style]
    value = ("v" * a.value_size)[: a.value_size]
    fails = [0]
    lock = threading.Lock()

    def req(n):
        k = "%s-%06d" % (a.prefix, n)
        if a.style == "kv":
            return "PUT", pp + k, '{"type":"string","value":"%s"}' % value, "application/json"
        if a.style == "etcd2":
            return "PUT", pp + k, "value=" + value, "application/x-www-form-urlencoded"
        body = '{"key":"%s","value":"%s"}' % (base64.b64encode(k.encode()).decode(),
                                             base64.b64encode(value.encode()).decode())
        return "POST", pp + "put", body, "application/json"

    def worker(t):
        c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
        for n in range(1 + t, a.n + 1, a.threads):
            m, p, b, ct = req(n)
            for attempt in range(3):
                try:
                    c.request(m, p, body=b, headers={"Content-Type": ct})
                    r = c.getresponse()
                    r.read()
                    if r.status >= 300:
                        raise RuntimeError("status %d for %s" % (r.status, p))
                    break
                except Exception as e:  # noqa: BLE001
                    c.close()
                    c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
                    if attempt == 2:
                        with lock:
                            fails[0] += 1
                            if fails[0] <= 5:
                                print("fail:", e)

    t0 = time.time()
    ts = [threading.Thread(target=worker, args=(t,)) for t in range(a.threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.time() - t0
    print("preload style=%s keys=%d seconds=%.2f keys_per_s=%.0f failures=%d" % (a.style, a.n, dt, a.n / dt, fails[0]))
    raise SystemExit(1 if fails[0] else 0)


if __name__ == "__main__":
    main()
