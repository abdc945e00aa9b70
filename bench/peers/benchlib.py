#!/usr/bin/env python3
"""Helpers for bench/compare (Python 3 standard library only).

  benchlib.py port                                   print a free TCP port on 127.0.0.1
  benchlib.py wait-http PORT PATH SECONDS            wait until GET answers (any status)
  benchlib.py sku-put PORT TOKEN SKU STOCK           create one SKU (per_buyer_limit 0)
  benchlib.py mkskus PORT TOKEN PREFIX COUNT STOCK   create PREFIX%07d SKUs, 1000 per batch
  benchlib.py fgstate PORT SKU...                    JSON: orders accepted + the SKUs' counts
  benchlib.py record RESULTS.jsonl key=value...      append one run (parses the raw outputs)
  benchlib.py report RESULTS.jsonl META.json         print the Markdown report
"""
import http.client
import json
import os
import re
import socket
import statistics
import sys
import time


# ---------------------------------------------------------------- small HTTP helpers

def http_req(port, method, path, body=None, headers=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=timeout)
    h = dict(headers or {})
    if body is not None:
        h.setdefault("Content-Type", "application/json")
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def cmd_port(_args):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def cmd_wait_http(args):
    port, path, secs = args[0], args[1], float(args[2])
    end = time.time() + secs
    while time.time() < end:
        try:
            http_req(port, "GET", path, timeout=2)
            return 0
        except OSError:
            time.sleep(0.1)
    print(f"server on port {port} did not answer {path} within {secs:g} s", file=sys.stderr)
    return 1


def sku_spec(stock):
    return {"name": "bench item", "price": {"amount_minor": 1999, "currency": "CNY"},
            "stock": int(stock), "per_buyer_limit": 0}


def cmd_sku_put(args):
    port, token, sku, stock = args
    st, data = http_req(port, "PUT", f"/v1/skus/{sku}", json.dumps(sku_spec(stock)),
                        {"Authorization": f"Bearer {token}"})
    if st not in (200, 201):
        print(f"PUT /v1/skus/{sku}: {st} {data[:300]!r}", file=sys.stderr)
        return 1
    return 0


def cmd_mkskus(args):
    """Creates PREFIX%07d SKUs with POST /v1/skus:batch, 1000 per request. If the gateway refuses
    a 1000-entry body with 413 (a body over 64 KiB), it falls back to batches that fit 64 KiB and
    says so on stdout (bench/compare prints it in the report)."""
    port, token, prefix, count, stock = args[0], args[1], args[2], int(args[3]), int(args[4])
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
    hdr = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    spec = sku_spec(stock)
    t0 = time.time()
    batch = 1000
    note = ""
    start = 0
    requests = 0
    while start < count:
        skus = [dict(spec, sku_id=f"{prefix}{i:07d}") for i in range(start, min(count, start + batch))]
        body = json.dumps({"skus": skus}, separators=(",", ":"))
        c.request("POST", "/v1/skus:batch", body=body, headers=hdr)
        r = c.getresponse()
        data = r.read()
        requests += 1
        if r.status == 413 and batch == 1000:
            batch = (65536 - 100) // (len(body) // len(skus) + 1)
            note = (f"; POST /v1/skus:batch answered 413 body_too_large to 1000 SKUs "
                    f"({len(body):,} bytes, under the documented 1 MiB), so batches of {batch} were used")
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
            continue
        if r.status != 200:
            print(f"POST /v1/skus:batch: {r.status} {data[:300]!r}", file=sys.stderr)
            return 1
        bad = [x for x in json.loads(data)["results"] if x.get("status") not in (200, 201)]
        if bad:
            print(f"POST /v1/skus:batch refused {len(bad)} entries, first {bad[0]}", file=sys.stderr)
            return 1
        start += len(skus)
    c.close()
    print(f"{count:,} SKUs in {time.time() - t0:.1f} s ({requests} requests){note}")
    return 0


def cmd_fgstate(args):
    port, skus = args[0], args[1:]
    out = {"accepted": None, "skus": {}}
    st, data = http_req(port, "GET", "/metrics")
    m = re.search(rb"^flashgate_orders_accepted_total (\d+)", data, re.M)
    if m:
        out["accepted"] = int(m.group(1))
    for name in ("log_batches_total", "log_records_total", "log_fsync_seconds_total"):
        m = re.search(rb"^flashgate_" + name.encode() + rb" ([0-9.eE+-]+)", data, re.M)
        if m:
            out[name] = float(m.group(1))
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    for sku in skus:
        c.request("GET", f"/v1/skus/{sku}")
        r = c.getresponse()
        d = json.loads(r.read())
        out["skus"][sku] = {k: d.get(k) for k in ("stock", "available", "held", "sold")}
    c.close()
    print(json.dumps(out))
    return 0


# ---------------------------------------------------------------- recording one run

def parse_wrk(path):
    txt = open(path, errors="replace").read()
    m = re.search(r"^WRK_RESULT (.*)$", txt, re.M)
    if not m:
        return None, txt
    r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    # the last line is /proc/<sh>/stat of the shell that waited for wrk: cutime + cstime
    lines = [l for l in txt.splitlines() if l.strip()]
    stat = lines[-1]
    if ") " in stat:
        f = stat.rsplit(") ", 1)[1].split()
        r["client_ticks"] = int(f[13]) + int(f[14])
    return r, txt


def parse_redis_bench(path):
    # redis-benchmark --csv does not escape the quotes of the command it names, so read the
    # numeric columns from the end of the last row.
    txt = open(path, errors="replace").read()
    lines = [l for l in txt.splitlines() if l.strip()]
    hdr = [l for l in lines if l.startswith('"test"')]
    data = [l for l in lines if l.startswith('"') and not l.startswith('"test"')]
    if not hdr or not data:
        return None
    names = [h.strip('"') for h in hdr[0].split(",")][1:]
    nums = data[-1].rsplit(",", len(names))[1:]
    d = dict(zip(names, (float(x.strip('"')) for x in nums)))
    r = {"rps": d["rps"]}
    for k, name in (("p50_us", "p50_latency_ms"), ("p99_us", "p99_latency_ms")):
        if name in d:
            r[k] = d[name] * 1000
    stat = lines[-1]
    if ") " in stat:
        f = stat.rsplit(") ", 1)[1].split()
        r["client_ticks"] = int(f[13]) + int(f[14])
    return r


def parse_load_summary(path):
    """flashgate-load's summary.json: latency_us.{p50,p90,p99,p99_9}, throughput_rps,
    acknowledged, answered, client_cpu_s, audit.passed."""
    s = json.load(open(path))
    lat = s.get("latency_us", {})
    r = {"p50_us": lat.get("p50"), "p90_us": lat.get("p90"), "p99_us": lat.get("p99"),
         "p999_us": lat.get("p99_9"), "mean_us": lat.get("mean"), "max_us": lat.get("max"),
         "rps_all": s.get("throughput_rps"), "completed": s.get("answered"),
         "ok": s.get("acknowledged"), "late_sends": s.get("late_sends"),
         "seconds": s.get("duration_s"), "status": s.get("status"),
         "unknown": s.get("unknown")}
    if r["ok"] is not None and r["seconds"]:
        r["rps"] = r["ok"] / r["seconds"]
    r["non2xx"] = sum(v for k, v in (s.get("status") or {}).items() if not str(k).startswith("2"))
    if s.get("client_cpu_s") is not None and r["completed"]:
        r["client_us_per_req"] = s["client_cpu_s"] * 1e6 / r["completed"]
    audit = s.get("audit")
    if isinstance(audit, dict):
        r["audit_passed"] = bool(audit.get("passed"))
        if not audit.get("passed"):
            r["audit_failures"] = audit.get("failures")
    return r


def cmd_record(args):
    out_path = args[0]
    kv = dict(a.split("=", 1) for a in args[1:])
    rec = {k: kv[k] for k in ("phase", "server", "shape") if k in kv}
    for k in ("run", "conns", "rate", "pct"):
        if k in kv:
            rec[k] = float(kv[k]) if "." in kv[k] else int(kv[k])
    clk = int(kv.get("clk_tck", "100"))
    valid = True
    notes = []
    if "wrk" in kv:
        w, raw = parse_wrk(kv["wrk"])
        if w is None:
            rec.update(valid=False, notes="wrk printed no result: " + raw[-300:].replace("\n", " "))
            open(out_path, "a").write(json.dumps(rec) + "\n")
            return 0
        rec.update(w)
        rec["seconds"] = w["duration_us"] / 1e6
        rec["ok"] = w["requests"] - w["non2xx"]
        rec["completed"] = w["requests"]
        rec["rps"] = rec["ok"] / rec["seconds"]
        rec["unknown"] = int(kv.get("conns", 0)) + w["timeouts"] + w["read_err"] + w["write_err"]
    elif "redis_bench" in kv:
        r = parse_redis_bench(kv["redis_bench"])
        if r is None:
            rec.update(valid=False, notes="redis-benchmark printed no CSV")
            open(out_path, "a").write(json.dumps(rec) + "\n")
            return 0
        rec.update(r)
        rec["completed"] = rec["ok"] = int(kv["ops"])
        rec["seconds"] = rec["ok"] / r["rps"]
        rec["non2xx"] = 0
    elif "load_summary" in kv:
        try:
            r = parse_load_summary(kv["load_summary"])
        except (OSError, ValueError) as e:
            rec.update(valid=False, notes=f"no summary.json ({e})")
            open(out_path, "a").write(json.dumps(rec) + "\n")
            return 0
        rec.update(r)
        if r.get("audit_passed") is False:
            valid = False
            notes.append(f"flashgate-load audit failed: {r.get('audit_failures')}")
    # server CPU: cpu_<group>=before:after (clock ticks)
    groups = {}
    for k, v in kv.items():
        if k.startswith("cpu_"):
            b, a = v.split(":")
            groups[k[4:]] = (int(a) - int(b)) / clk
    if groups and rec.get("completed"):
        rec["server_cpu_s"] = groups
        rec["server_us_per_req"] = sum(groups.values()) * 1e6 / rec["completed"]
        rec["server_us_per_req_by"] = {g: s * 1e6 / rec["completed"] for g, s in groups.items()}
    if "client_ticks" in rec and rec.get("completed") and "client_us_per_req" not in rec:
        rec["client_us_per_req"] = rec["client_ticks"] / clk * 1e6 / rec["completed"]
    # flashgate correctness: fg_before / fg_after are fgstate outputs
    if "fg_before" in kv and "fg_after" in kv:
        b = json.load(open(kv["fg_before"]))
        a = json.load(open(kv["fg_after"]))
        for sku, s in a["skus"].items():
            if None in s.values() or s["available"] + s["held"] + s["sold"] != s["stock"]:
                valid = False
                notes.append(f"{sku}: available+held+sold != stock ({s})")
            if s["available"] < 0:
                valid = False
                notes.append(f"{sku}: available < 0")
        units = int(kv.get("units_per_order", "1"))
        hot = kv.get("hot_sku")
        if hot:
            d = (a["skus"][hot]["held"] + a["skus"][hot]["sold"]) - \
                (b["skus"][hot]["held"] + b["skus"][hot]["sold"])
            rec["check_units"] = d
        else:
            d = None
        acc = None
        if a.get("accepted") is not None and b.get("accepted") is not None:
            acc = a["accepted"] - b["accepted"]
            rec["check_accepted"] = acc
        ok = rec.get("ok", 0)
        unk = rec.get("unknown", 0)
        if d is not None and not (ok * units <= d <= (ok + unk) * units):
            valid = False
            notes.append(f"held+sold grew by {d}, wrk saw {ok} 2xx (+ up to {unk} unknown)")
        if acc is not None and not (ok <= acc <= ok + unk):
            valid = False
            notes.append(f"orders accepted grew by {acc}, wrk saw {ok} 2xx (+ up to {unk} unknown)")
        rec["checked"] = True
        if a.get("log_batches_total") is not None and b.get("log_batches_total") is not None:
            nb = a["log_batches_total"] - b["log_batches_total"]
            nr = a["log_records_total"] - b["log_records_total"]
            rec["log_batches"] = nb
            if nb > 0:
                rec["records_per_fsync"] = nr / nb
                rec["fsync_ms_mean"] = (a["log_fsync_seconds_total"] - b["log_fsync_seconds_total"]) * 1000 / nb
    if "valid" not in rec:
        rec["valid"] = valid
    if notes:
        rec["notes"] = "; ".join(notes)
    open(out_path, "a").write(json.dumps(rec) + "\n")
    short = {k: (round(v, 1) if isinstance(v, float) else v) for k, v in rec.items()
             if k in ("phase", "server", "shape", "run", "conns", "pct", "rps", "ok", "non2xx",
                      "p50_us", "p99_us", "p999_us", "server_us_per_req", "client_us_per_req",
                      "valid", "notes")}
    print("  " + " ".join(f"{k}={v}" for k, v in short.items()), flush=True)
    return 0


# ---------------------------------------------------------------- the report

def med(xs):
    return statistics.median(xs) if xs else None


def f_num(x, nd=0):
    if x is None:
        return "—"
    if abs(x) >= 1000 and nd == 0:
        return f"{x:,.0f}"
    return f"{x:,.{nd}f}"


def f_range(xs, nd=0, scale=1.0):
    if not xs:
        return "—"
    xs = [x * scale for x in xs]
    m = med(xs)
    if len(xs) == 1:
        return f_num(m, nd)
    return f"{f_num(m, nd)} ({f_num(min(xs), nd)}–{f_num(max(xs), nd)})"


def f_ratio(r, rs=None):
    if r is None:
        return "—"
    if rs and len(rs) > 1:
        return f"**{r:.2f}** ({min(rs):.2f}–{max(rs):.2f})"
    return f"**{r:.2f}**"


def cmd_report(args):
    recs = [json.loads(l) for l in open(args[0]) if l.strip()]
    meta = json.load(open(args[1]))

    def sel(phase, server, shape=None, conns=None, pct=None):
        return [r for r in recs if r.get("phase") == phase and r.get("server") == server
                and (shape is None or r.get("shape") == shape)
                and (conns is None or r.get("conns") == conns)
                and (pct is None or r.get("pct") == pct)]

    def vals(rs, key):
        return [r[key] for r in rs if r.get(key) is not None]

    def all_valid(rs):
        return bool(rs) and all(r.get("valid") for r in rs)

    def per_round(a, b, key):
        ma = {r["run"]: r.get(key) for r in a if r.get(key) is not None}
        mb = {r["run"]: r.get(key) for r in b if r.get(key) is not None}
        return [ma[k] / mb[k] for k in sorted(ma) if k in mb and mb[k]]

    def ratio(a, b, key):
        va, vb = med(vals(a, key)), med(vals(b, key))
        if va is None or not vb:
            return None, []
        return va / vb, per_round(a, b, key)

    out = []
    p = out.append
    p(f"# flashgate vs peers, same run — {meta['date']}")
    p("")
    p(f"Machine: {meta['nproc']} CPUs ({meta['cpu']}), {meta['mem']}, kernel {meta['kernel']}, "
      f"{meta['os']}. Server processes pinned to core {meta['server_cpu']}, the load generator to "
      f"core {meta['client_cpu']} (`taskset`). Closed loop: `wrk -t{meta['wrk_threads']} "
      f"-c{meta['conns']} -d{meta['duration']}s`, {meta['runs']} interleaved rounds; every request "
      f"is a {meta['body_bytes']}-byte order JSON POSTed to /v1/orders with a unique "
      f"Idempotency-Key and buyer id (`bench/peers/order.lua`). flashgate {meta['fg_version']}: "
      f"`--threads 1`, durable (2xx after fdatasync). Redis {meta['redis_version']}, "
      f"nginx {meta['nginx_version']}, wrk {meta['wrk_version']}. Figures are medians "
      f"(min–max over runs); a ratio is median ÷ median (per-round min–max).")
    p("")
    fg = sel("closed", "flashgate", "hot", meta["conns"])
    ng = sel("closed", "nginx_static")
    la = sel("closed", "lua_always")
    le = sel("closed", "lua_everysec")
    ra = sel("closed", "redis_alone")
    fg_ok = all_valid(fg)
    inval = "" if fg_ok else " — **INVALID: correctness check failed**"

    p("## Headline ratios")
    p("")
    p("| figure | flashgate | peer | ratio |")
    p("|---|---|---|---|")

    def row(name, a, b, key, nd=0, invalid=False):
        r, rs = ratio(a, b, key)
        fa = f_range(vals(a, key), nd)
        fb = f_range(vals(b, key), nd)
        rt = "invalid" if invalid else f_ratio(r, rs)
        p(f"| {name} | {fa} | {fb} | {rt} |")

    row("orders/s ÷ nginx static ceiling (req/s)" + inval, fg, ng, "rps", invalid=not fg_ok)
    row("orders/s ÷ nginx+Lua+Redis, appendfsync always", fg, la, "rps", invalid=not fg_ok)
    row("orders/s ÷ nginx+Lua+Redis, appendfsync everysec", fg, le, "rps", invalid=not fg_ok)
    row("orders/s ÷ Redis alone, EVALSHA reserve, always (no HTTP)", fg, ra, "rps",
        invalid=not fg_ok)
    row("server CPU µs per durable order ÷ per nginx static reply", fg, ng,
        "server_us_per_req", 1, invalid=not fg_ok)
    row("server CPU µs per order ÷ nginx+Lua+Redis always (nginx + redis)", fg, la,
        "server_us_per_req", 1, invalid=not fg_ok)
    # open loop at 50 %
    o_fg = sel("open", "flashgate", pct=50)
    o_la = sel("open", "lua_always", pct=50)
    if o_fg:
        for key, label in (("p99_us", "p99"), ("p999_us", "p99.9")):
            r, rs = ratio(o_fg, o_la, key) if o_la else (None, [])
            p(f"| {label} latency (ms) at 50% of flashgate's peak, open loop, ÷ nginx+Lua+Redis "
              f"always | {f_range(vals(o_fg, key), 2, 0.001)} | "
              f"{f_range(vals(o_la, key), 2, 0.001) if o_la else '—'} | "
              f"{f_ratio(r, rs) if all_valid(o_fg) else 'invalid'} |")
    else:
        p(f"| p99 / p99.9 at 50% of peak, open loop | {meta.get('open_note', 'not run')} | — | — |")
    ngl = sel("closed", "nginx_static_fgload")
    if ngl:
        r, rs = ratio(ng, ngl, "client_us_per_req")
        p(f"| load generator: requests per client CPU-second, flashgate-load ÷ wrk, against nginx "
          f"static (client CPU µs/req: flashgate-load, wrk) | {f_range(vals(ngl, 'client_us_per_req'), 1)} | "
          f"{f_range(vals(ng, 'client_us_per_req'), 1)} | {f_ratio(r, rs)} |")
    sh_hot = sel("shapes", "flashgate", "hot", meta["conns"])
    sh_uni = sel("shapes", "flashgate", "uniform", meta["conns"])
    sh_mul = sel("shapes", "flashgate", "multi", meta["conns"])
    sh_big = sel("shapes", "flashgate", "hot", meta["big_conns"])

    def shape_row(name, a, b, unit="orders/s"):
        ok = all_valid(a) and all_valid(b)
        for key, lab, nd in (("rps", unit, 0), ("server_us_per_req", "CPU µs/order", 1)):
            r, rs = ratio(a, b, key)
            p(f"| {name}: {lab} | {f_range(vals(a, key), nd)} | {f_range(vals(b, key), nd)} | "
              f"{f_ratio(r, rs) if ok else 'invalid'} |")

    if sh_hot:
        shape_row(f"{meta['uniform_skus']:,} uniform SKUs ÷ hot SKU", sh_uni, sh_hot)
        shape_row("5-item orders across SKUs ÷ 1-item", sh_mul, sh_uni)
        shape_row(f"{meta['big_conns']:,} connections ÷ {meta['conns']} (hot SKU)", sh_big, sh_hot)
        r, rs = ratio(sh_big, sh_hot, "p99_us")
        p(f"| {meta['big_conns']:,} ÷ {meta['conns']} connections: closed-loop p99 (ms) | "
          f"{f_range(vals(sh_big, 'p99_us'), 2, 0.001)} | {f_range(vals(sh_hot, 'p99_us'), 2, 0.001)}"
          f" | {f_ratio(r, rs)} |")
    p("")
    p("Recovery time and RSS per live order / per SKU (the last two BENCHMARKS.md figures) are not "
      "measured by this script.")
    p("")

    p("## Closed loop, per server (same rounds)")
    p("")
    p("| server | 2xx/s | non-2xx | p50 ms | p99 ms | p99.9 ms | server CPU µs/req | "
      "of which | wrk CPU µs/req |")
    p("|---|---|---|---|---|---|---|---|---|")
    names = [("nginx_static", "nginx static `return 200` (1 worker)"),
             ("flashgate", "flashgate `POST /v1/orders` (durable, 1 thread)"),
             ("lua_always", "nginx+Lua+Redis, appendfsync always"),
             ("lua_everysec", "nginx+Lua+Redis, appendfsync everysec"),
             ("redis_alone", "Redis alone: redis-benchmark EVALSHA, always"),
             ("nginx_static_fgload", "nginx static, driven by flashgate-load (closed)")]
    for key, label in names:
        rs = sel("closed", key) if key != "flashgate" else fg
        if not rs:
            continue
        by = {}
        for r in rs:
            for g, v in (r.get("server_us_per_req_by") or {}).items():
                by.setdefault(g, []).append(v)
        split = ", ".join(f"{g} {med(v):.1f}" for g, v in by.items()) if len(by) > 1 else ""
        if vals(rs, "records_per_fsync"):
            split = (f"{f_range(vals(rs, 'records_per_fsync'))} records per fdatasync, "
                     f"fdatasync {f_range(vals(rs, 'fsync_ms_mean'), 2)} ms")
        non2xx = sum(r.get("non2xx", 0) for r in rs)
        p(f"| {label} | {f_range(vals(rs, 'rps'))} | {non2xx} | "
          f"{f_range(vals(rs, 'p50_us'), 2, 0.001)} | {f_range(vals(rs, 'p99_us'), 2, 0.001)} | "
          f"{f_range(vals(rs, 'p999_us'), 2, 0.001)} | {f_range(vals(rs, 'server_us_per_req'), 1)} | "
          f"{split} | {f_range(vals(rs, 'client_us_per_req'), 1)} |")
    p("")
    p("Redis alone: `redis-benchmark -c 128` (unpipelined); its CSV gives no p99.9, and its "
      "\"wrk CPU\" column is redis-benchmark's own CPU. The last row's client column is "
      "flashgate-load's own CPU (from its summary.json).")
    p("")

    p("## Open loop (flashgate-load, constant rate, latency from the intended send time)")
    p("")
    if not sel("open", "flashgate"):
        p(meta.get("open_note", "open loop: not run"))
    else:
        p(f"Rates are 25/50/80% of flashgate's median closed-loop peak "
          f"({meta.get('fg_peak', 0):,.0f} orders/s); {meta.get('open_note', '')}")
        p("")
        peaks = {"flashgate": med(vals(fg, "rps")), "lua_always": med(vals(la, "rps"))}
        p("| server | % of flashgate's peak | rate/s | × server's own peak | 2xx/s | p50 ms | p99 ms | "
          "p99.9 ms | server CPU µs/req | audit |")
        p("|---|---|---|---|---|---|---|---|---|---|")
        for pct in (25, 50, 80):
            for key, label in (("flashgate", "flashgate"), ("lua_always", "nginx+Lua+Redis always")):
                rs = sel("open", key, pct=pct)
                if not rs:
                    continue
                own = rs[0].get("rate", 0) / peaks[key] if peaks.get(key) else None
                audit = ("passed" if all(r.get("audit_passed") for r in rs) else "FAILED") \
                    if key == "flashgate" else "—"
                if not all_valid(rs):
                    audit += " (invalid)"
                p(f"| {label} | {pct}% | {rs[0].get('rate', 0):,} | "
                  f"{f'{own:.2f}' if own else '—'} | {f_range(vals(rs, 'rps'))} | "
                  f"{f_range(vals(rs, 'p50_us'), 2, 0.001)} | {f_range(vals(rs, 'p99_us'), 2, 0.001)} | "
                  f"{f_range(vals(rs, 'p999_us'), 2, 0.001)} | {f_range(vals(rs, 'server_us_per_req'), 1)} | "
                  f"{audit} |")
    p("")

    if sh_hot:
        p("## Shapes (flashgate only, closed loop, one instance holding "
          f"{meta['uniform_skus']:,} + 1 SKUs)")
        p("")
        p(f"Setting up the SKUs took {meta.get('mkskus', '?')}.")
        p("")
        p("| shape | conns | orders/s | non-2xx | p50 ms | p99 ms | p99.9 ms | server CPU µs/order | "
          "wrk CPU µs/req | records/fdatasync | valid |")
        p("|---|---|---|---|---|---|---|---|---|---|---|")
        for label, rs in (("hot SKU, 1 item", sh_hot), (f"uniform over {meta['uniform_skus']:,}, 1 item", sh_uni),
                          ("5 items across SKUs", sh_mul), ("hot SKU, 1 item", sh_big)):
            if not rs:
                continue
            p(f"| {label} | {rs[0].get('conns')} | {f_range(vals(rs, 'rps'))} | "
              f"{sum(r.get('non2xx', 0) for r in rs)} | {f_range(vals(rs, 'p50_us'), 2, 0.001)} | "
              f"{f_range(vals(rs, 'p99_us'), 2, 0.001)} | {f_range(vals(rs, 'p999_us'), 2, 0.001)} | "
              f"{f_range(vals(rs, 'server_us_per_req'), 1)} | {f_range(vals(rs, 'client_us_per_req'), 1)} | "
              f"{f_range(vals(rs, 'records_per_fsync'))} | {'yes' if all_valid(rs) else 'NO'} |")
        p("")

    p("## Correctness checks (flashgate)")
    p("")
    checked = [r for r in recs if r.get("server") == "flashgate" and r.get("checked")]
    audited = [r for r in recs if r.get("server") == "flashgate" and "audit_passed" in r]
    bad = [r for r in recs if r.get("server") == "flashgate" and not r.get("valid")]
    p(f"{len(checked)} flashgate runs checked: after each run `available + held + sold == stock` for "
      f"every SKU read back (the hot SKU; a sample for the {meta['uniform_skus']:,}-SKU shapes), and "
      f"the growth of held+sold (hot SKU) and of `flashgate_orders_accepted_total` lies between the "
      f"2xx count wrk saw and that count plus the requests whose fate wrk cannot know (one in flight "
      f"per connection at the end, timeouts, socket errors). {len(audited)} open-loop runs were "
      f"audited by flashgate-load itself (no oversell, nothing lost, one order per key, held + sold "
      f"== acknowledged up to unknowns). {len(bad)} flashgate runs failed a check.")
    for r in bad:
        p(f"- {r.get('phase')} {r.get('shape', '')} conns={r.get('conns')} run {r.get('run')}: "
          f"{r.get('notes', 'invalid')}")
    p("")
    if meta.get("notes"):
        p("## Notes from this run")
        p("")
        for n in meta["notes"]:
            p(f"- {n}")
        p("")
    print("\n".join(out))
    return 0


def main():
    cmds = {"port": cmd_port, "wait-http": cmd_wait_http, "sku-put": cmd_sku_put,
            "mkskus": cmd_mkskus, "fgstate": cmd_fgstate, "record": cmd_record,
            "report": cmd_report}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[sys.argv[1]](sys.argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main())
