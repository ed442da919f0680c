"""Drives the serve page in headless Chromium over the DevTools protocol: uploads IMAGE with age, sex and
the first site, presses Analyse, waits for the Grad-CAM overlay and saves a full-page screenshot.

Usage: serve_screenshot.py URL IMAGE OUT.png [--age 55] [--sex male]
"""
import argparse
import base64
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # websocket-client

p = argparse.ArgumentParser()
p.add_argument("url")
p.add_argument("image")
p.add_argument("out")
p.add_argument("--age", default="55")
p.add_argument("--sex", default="male")
p.add_argument("--port", type=int, default=9333)
args = p.parse_args()

chrome = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
if not chrome:
    sys.exit("no chromium on PATH (apt-get install -y chromium)")
profile = tempfile.mkdtemp(prefix="melanoma-chromium-")
proc = subprocess.Popen([chrome, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                         f"--remote-debugging-port={args.port}", f"--user-data-dir={profile}",
                         "--window-size=1000,1200", "about:blank"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    targets = None
    for _ in range(100):
        try:
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{args.port}/json/list"))
            if any(t["type"] == "page" for t in targets):
                break
        except OSError:
            pass
        time.sleep(0.2)
    page = next(t for t in targets if t["type"] == "page")
    ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=120, suppress_origin=True)
    ids = itertools.count(1)

    def call(method, **params):
        i = next(ids)
        ws.send(json.dumps({"id": i, "method": method, "params": params}))
        while True:
            msg = json.loads(ws.recv())
            if msg.get("id") == i:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def js(expr):
        r = call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        return r.get("result", {}).get("value")

    def wait(expr, seconds, what):
        end = time.time() + seconds
        while time.time() < end:
            if js(expr):
                return
            time.sleep(0.25)
        raise RuntimeError(f"timed out waiting for {what}; page text: {js('document.body.innerText')}")

    call("Page.enable")
    call("DOM.enable")
    call("Emulation.setDeviceMetricsOverride", width=1000, height=1200, deviceScaleFactor=1, mobile=False)
    call("Page.navigate", url=args.url)
    wait("document.readyState === 'complete' && document.getElementById('site').options.length > 1", 30, "the page and its sites")
    doc = call("DOM.getDocument")
    node = call("DOM.querySelector", nodeId=doc["root"]["nodeId"], selector="#image")["nodeId"]
    call("DOM.setFileInputFiles", files=[os.path.abspath(args.image)], nodeId=node)
    js(f"document.getElementById('age').value = {json.dumps(args.age)};"
       f"document.getElementById('sex').value = {json.dumps(args.sex)};"
       "document.getElementById('site').selectedIndex = 1; true")
    js("document.getElementById('go').click(); true")
    wait("(() => { const i = document.getElementById('overlay'); return i && i.complete && i.naturalWidth > 0; })()",
         120, "the result and its overlay")
    shot = call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    with open(args.out, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    print(js("document.getElementById('result').innerText"))
    ws.close()
finally:
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(profile, ignore_errors=True)
