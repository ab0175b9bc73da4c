#!/usr/bin/env python3
"""Peak memory of `tracelot serve` under 8 concurrent worst-case label
requests: PNG labels of 250 x 250 mm at 800 dpi (62 million dots, near the
64 million bound), each with 300 pt text, a QR Code of 5 mm modules and
400 boxes. Prints the answers, the wall time and the server's peak RSS.

Usage: tools/bench-label-memory.py [path/to/tracelot]   (default target/release/tracelot)
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/tracelot"
work = tempfile.mkdtemp()
db = os.path.join(work, "bench.db")


def run(*args):
    return subprocess.run([binary, "--db", db, "--json", *args], check=True, capture_output=True, text=True).stdout


run("init")
run("user", "add", "viewer1", "--role", "viewer")
token = json.loads(run("token", "create", "viewer1"))["token"]
server = subprocess.Popen([binary, "--db", db, "serve", "--listen", "127.0.0.1:0", "--log-level", "warn"],
                          stdout=subprocess.PIPE, text=True)
base = server.stdout.readline().strip().removeprefix("listening on ")

boxes = "".join(f'[[element]]\ntype = "box"\nx_mm = {i % 200}\ny_mm = {i % 200}\nwidth_mm = 40\nheight_mm = 40\n'
                for i in range(400))
text = '[[element]]\ntype = "text"\nx_mm = 5\ny_mm = 5\nsize_pt = 300\ntext = "WORST CASE"\n'
qr = ('[[element]]\ntype = "barcode"\nsymbology = "qr"\nx_mm = 30\ny_mm = 60\nmodule_mm = 5\n'
      'data = "https://id.gs1.org/01/09506000134352"\n')
template = 'name = "worst"\nwidth_mm = 250\nheight_mm = 250\ndpi = 800\n' + text + qr + boxes
body = json.dumps({"template_toml": template, "format": "png", "data": [{}]}).encode()


def peak_rss_kib():
    for line in open(f"/proc/{server.pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


answers = []


def request():
    started = time.time()
    req = urllib.request.Request(f"{base}/api/v1/labels", data=body,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=900) as r:
        answers.append((r.status, len(r.read()), round(time.time() - started, 1)))


idle = peak_rss_kib()
threads = [threading.Thread(target=request) for _ in range(8)]
started = time.time()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.time() - started
peak = peak_rss_kib()
server.terminate()
server.wait()
print("answers (status, bytes, seconds):", answers)
print(f"8 concurrent worst-case PNG labels: {elapsed:.1f} s; server peak RSS {peak / 1024:.0f} MiB "
      f"(idle peak {idle / 1024:.0f} MiB) on {os.cpu_count()} cores")
