#!/usr/bin/env python3
"""Loads tiersim report pages in headless Chromium and fails unless each one renders.

For every page given: Chromium (driven over the DevTools protocol, standard library
only) loads it from a file:// URL; the check fails if the page requests anything but
itself (any http, https, ws or other file), if a resource fails to load, if an image
is broken, if a script error is logged, if it holds fewer inline SVG figures than
--min-figures or a figure has no size or nothing drawn, or if the full-page screenshot
is blank (almost all white, or none of the figures' palette colours). Screenshots go
to --shots. --self-test first checks that blank, broken and network-using pages are
caught, so the check itself can fail.

Usage: check_report_browser.py [--chromium PATH] [--shots DIR] [--min-figures N]
                               [--self-test] PAGE.html...
"""

import argparse
import base64
import http.client
import json
import os
import queue
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--mute-audio",
]
# Okabe-Ito colours the figures draw series with (tiersim's plot palette).
PALETTE = [(0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167), (230, 159, 0)]
DEADLINE_S = 60


class WebSocket:
    """A minimal RFC 6455 client: masked text frames out, any frames in."""

    def __init__(self, url):
        assert url.startswith("ws://"), url
        hostport, _, path = url[5:].partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=DEADLINE_S)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise RuntimeError("DevTools closed the connection during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(f"DevTools refused the WebSocket: {head[:200]!r}")

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RuntimeError("DevTools closed the connection")
            buf += chunk
        return buf

    def send(self, text):
        data = text.encode()
        head = bytearray([0x81])
        n = len(data)
        if n < 126:
            head.append(0x80 | n)
        elif n < 1 << 16:
            head.append(0x80 | 126)
            head += struct.pack(">H", n)
        else:
            head.append(0x80 | 127)
            head += struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(bytes(head) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            mask = self._exact(4) if b1 & 0x80 else None
            data = self._exact(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            op = b0 & 0x0F
            if op == 0x8:
                raise RuntimeError("DevTools closed the WebSocket")
            if op == 0x9:  # ping: answer and go on
                continue
            message += data
            if b0 & 0x80:
                return message.decode()


class Browser:
    """Headless Chromium with a DevTools session on one page."""

    def __init__(self, chromium):
        self.profile = tempfile.mkdtemp(prefix="tiersim-chromium-")
        self.proc = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={self.profile}",
             "--remote-debugging-port=0", "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
        # Chromium says where DevTools listens on stderr; the rest of stderr is drained.
        found = queue.Queue()

        def drain():
            for line in self.proc.stderr:
                if "DevTools listening on ws://" in line:
                    found.put(line)
            found.put(None)

        threading.Thread(target=drain, daemon=True).start()
        try:
            line = found.get(timeout=DEADLINE_S)
        except queue.Empty:
            raise RuntimeError("chromium did not open its DevTools port") from None
        if line is None:
            raise RuntimeError(f"chromium exited with {self.proc.wait()} at start")
        port = int(line.split("ws://")[1].split("/")[0].rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE_S)
        conn.request("GET", "/json/list")
        pages = [t for t in json.loads(conn.getresponse().read()) if t["type"] == "page"]
        self.ws = WebSocket(pages[0]["webSocketDebuggerUrl"])
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]
            self.events.append(msg)

    def wait_for(self, method):
        end = time.monotonic() + DEADLINE_S
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > end:
                raise RuntimeError(f"timed out waiting for {method}")
            self.events.append(json.loads(self.ws.recv()))

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def decode_png(data):
    """(width, height, RGB rows) of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    i, idat = 8, b""
    while i < len(data):
        n = struct.unpack(">I", data[i:i + 4])[0]
        kind, body = data[i + 4:i + 8], data[i + 8:i + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), f"PNG depth {depth} type {ctype}"
        elif kind == b"IDAT":
            idat += body
        i += 12 + n
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 0xFF
            elif f == 2:
                line[x] = (line[x] + b) & 0xFF
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 0xFF
        rows.append(bytes(line) if bpp == 3 else bytes(v for j, v in enumerate(line) if j % 4 != 3))
        prev = line
    return w, h, rows


PROBE = """JSON.stringify({
  images: Array.from(document.images).map(i => ({src: i.currentSrc || i.src,
    ok: i.complete && i.naturalWidth > 0})),
  figures: Array.from(document.querySelectorAll("svg")).map(s => {
    const r = s.getBoundingClientRect();
    return {w: r.width, h: r.height,
      drawn: s.querySelectorAll("path,polyline,polygon,rect,line,circle,text").length};
  }),
  height: document.documentElement.scrollHeight,
  title: document.title,
  text: document.body ? document.body.innerText.length : 0
})"""


def check_page(browser, page, shots, min_figures):
    """The problems of one page (empty when it passes)."""
    url = "file://" + os.path.abspath(page)
    browser.events.clear()
    for domain in ("Network", "Page", "Runtime", "Log"):
        browser.call(f"{domain}.enable")
    browser.call("Emulation.setDeviceMetricsOverride", width=1280, height=900,
                 deviceScaleFactor=1, mobile=False)
    browser.call("Page.navigate", url=url)
    browser.wait_for("Page.loadEventFired")
    probe = json.loads(browser.call("Runtime.evaluate", expression=PROBE,
                                    returnByValue=True)["result"]["value"])
    height = min(max(int(probe["height"]), 900), 12000)
    browser.call("Emulation.setDeviceMetricsOverride", width=1280, height=height,
                 deviceScaleFactor=1, mobile=False)
    shot = base64.b64decode(browser.call("Page.captureScreenshot", format="png")["data"])
    problems = []
    for e in browser.events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Network.requestWillBeSent":
            if p["request"]["url"].split("#")[0] != url:
                problems.append(f"requests {p['request']['url']}")
        elif m == "Network.loadingFailed":
            problems.append(f"a load failed: {p.get('errorText')}")
        elif m == "Runtime.exceptionThrown":
            problems.append(f"script error: {p['exceptionDetails'].get('text')}")
        elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
            problems.append(f"logged error: {p['entry'].get('text')}")
    for img in probe["images"]:
        if not img["ok"]:
            problems.append(f"broken image {img['src']}")
    figures = probe["figures"]
    if len(figures) < min_figures:
        problems.append(f"{len(figures)} figures, expected at least {min_figures}")
    for k, f in enumerate(figures):
        if f["w"] < 100 or f["h"] < 100 or f["drawn"] < 10:
            problems.append(f"figure {k} not rendered: {f}")
    name = os.path.splitext(os.path.basename(os.path.dirname(os.path.abspath(page))))[0]
    if shots:
        os.makedirs(shots, exist_ok=True)
        with open(os.path.join(shots, f"{name}.png"), "wb") as fh:
            fh.write(shot)
    w, h, rows = decode_png(shot)
    ink = coloured = 0
    for row in rows[::2]:
        for x in range(0, w * 3, 6):
            r, g, b = row[x], row[x + 1], row[x + 2]
            if r < 245 or g < 245 or b < 245:
                ink += 1
            if any(abs(r - c[0]) + abs(g - c[1]) + abs(b - c[2]) < 30 for c in PALETTE):
                coloured += 1
    share = ink / ((h + 1) // 2 * ((w + 1) // 2))
    if share < 0.02:
        problems.append(f"blank screenshot: {share:.1%} of it is not white")
    if min_figures > 0 and coloured < 200:
        problems.append(f"no figure colours in the screenshot ({coloured} sampled pixels)")
    print(f"  {page}: {len(figures)} figures, {len(probe['images'])} images, "
          f"{share:.0%} ink, screenshot {w}x{h}" + ("" if problems else ": ok"))
    return problems


def self_test(browser):
    """Checks that blank, broken and network-using pages fail."""
    tmp = tempfile.mkdtemp(prefix="tiersim-report-selftest-")
    white_svg = ("<svg width='500' height='400'>" +
                 "<rect width='500' height='400' fill='#fff'/>" * 12 + "</svg>")
    bad = {
        "blank": ("<!DOCTYPE html><html><body></body></html>", ["blank screenshot"]),
        "network": ("<!DOCTYPE html><html><body><h1>x</h1>"
                    "<img src='http://127.0.0.1:9/x.png'></body></html>",
                    ["requests http://127.0.0.1:9/x.png", "broken image"]),
        "nofigure": ("<!DOCTYPE html><html><body><h1>Report</h1><p>" + "text " * 4000 +
                     "</p></body></html>", ["0 figures"]),
        # Figures that are there but draw nothing visible: only the screenshot tells.
        "whitefigures": ("<!DOCTYPE html><html><body>" + white_svg * 2 + "</body></html>",
                         ["blank screenshot", "no figure colours"]),
    }
    try:
        for name, (html, expects) in bad.items():
            os.makedirs(os.path.join(tmp, name))
            page = os.path.join(tmp, name, "report.html")
            with open(page, "w") as fh:
                fh.write(html)
            problems = check_page(browser, page, None, 1)
            for expect in expects:
                found = [p for p in problems if expect in p]
                if not found:
                    sys.exit(f"self-test: the {name} page was not caught: '{expect}' "
                             f"not among {problems}")
                print(f"  self-test: the {name} page fails as it should: {found[0]}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pages", nargs="+")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    ap.add_argument("--shots", default=None)
    ap.add_argument("--min-figures", type=int, default=2)
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    browser = Browser(a.chromium)
    failed = False
    try:
        if a.self_test:
            self_test(browser)
        for page in a.pages:
            problems = check_page(browser, page, a.shots, a.min_figures)
            for p in problems:
                print(f"  FAIL {page}: {p}")
            failed |= bool(problems)
    finally:
        browser.close()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
